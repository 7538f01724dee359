/**
 * A fixed-window rate limit: at most `limit` admissions per `windowMs`; what is refused meanwhile is counted so the next
 * admitted record can say how many were left out. Pure: the caller passes the time.
 */
export class RateWindow {
  private windowStart = -Infinity;
  private used = 0;
  private dropped = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Admits one event at `nowMs`; when admitted, returns how many were dropped since the last admission. */
  admit(nowMs: number): { admitted: true; droppedBefore: number } | { admitted: false } {
    if (nowMs - this.windowStart >= this.windowMs) {
      this.windowStart = nowMs;
      this.used = 0;
    }
    if (this.used >= this.limit) {
      this.dropped++;
      return { admitted: false };
    }
    this.used++;
    const droppedBefore = this.dropped;
    this.dropped = 0;
    return { admitted: true, droppedBefore };
  }
}
