export type ParentMessage = 'cpu' | 'usage' | 'stop';

export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'cpu'; micros: number }
  | { type: 'usage'; used: number | null; reserved: number | null; rateHits?: number }
  | { type: 'failed'; message: string };
