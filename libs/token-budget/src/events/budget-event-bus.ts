import { filter, Observable, Subject } from 'rxjs';
import type { BudgetEvent, BudgetEventOf, BudgetEventType } from './budget-events';

/**
 * Where BudgetService publishes its events. Events are built only while someone listens, so an
 * app that never subscribes pays nothing for them. Delivery is synchronous, in the call that
 * caused the event: keep listeners quick, and hand slow work (a webhook, an email) to a queue.
 */
export class BudgetEventBus {
  private readonly subject = new Subject<BudgetEvent>();
  /** Every event, as it happens. */
  readonly events$: Observable<BudgetEvent> = this.subject.asObservable();

  /** True while anyone is subscribed. */
  get observed(): boolean {
    return this.subject.observed;
  }

  /** The events of one type. */
  on<T extends BudgetEventType>(type: T): Observable<BudgetEventOf<T>> {
    return this.events$.pipe(filter((event): event is BudgetEventOf<T> => event.type === type));
  }

  emit(event: BudgetEvent): void {
    this.subject.next(event);
  }

  complete(): void {
    this.subject.complete();
  }
}
