export type ParentMessage = 'cpu' | 'usage' | 'stop';

/** What one budget of the bench subject counted. */
export interface ScopeUsage {
  scope: string;
  used: number;
  reserved: number;
}

export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'cpu'; micros: number }
  | { type: 'usage'; budgets: ScopeUsage[] | null; rateHits?: number }
  | { type: 'failed'; message: string };
