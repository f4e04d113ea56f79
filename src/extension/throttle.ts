// Passes on at most one value per interval: the first at once, then the latest of each interval; nothing is
// held back forever (flush sends what is pending). Used for training progress and for refresh on save.

export class LatestEvery<T> {
  private pending: { value: T } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly deliver: (value: T) => void,
  ) {}

  push(value: T): void {
    if (this.timer) {
      this.pending = { value };
      return;
    }
    this.deliver(value);
    this.timer = setTimeout(() => this.tick(), this.intervalMs);
  }

  /** Delivers the pending value now and stops the timer. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) this.deliver(pending.value);
  }

  /** Drops what is pending and stops the timer. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private tick(): void {
    this.timer = undefined;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) this.push(pending.value);
  }
}
