// A fake clock for code that waits with the global setTimeout: install() replaces setTimeout/clearTimeout until
// uninstall(), advance(ms) runs the timers that come due in order, and settle() lets promise chains run (through
// setImmediate, which stays real). Tests of grace periods then check both sides of the boundary exactly, without
// sleeping. Mocha keeps its own references to the real timers, so its test timeouts still work.
type Timer = { at: number; seq: number; run: () => void };

export class FakeClock {
  now = 0;
  private timers: Timer[] = [];
  private seq = 0;
  private real: { setTimeout: typeof setTimeout; clearTimeout: typeof clearTimeout } | undefined;

  install(): void {
    this.real = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };
    globalThis.setTimeout = ((run: () => void, ms = 0) => {
      const timer = { at: this.now + Math.max(0, ms), seq: this.seq++, run };
      this.timers.push(timer);
      return timer;
    }) as unknown as typeof setTimeout;
    globalThis.clearTimeout = ((timer: unknown) => {
      this.timers = this.timers.filter((t) => t !== timer);
    }) as typeof clearTimeout;
  }

  uninstall(): void {
    if (!this.real) return;
    globalThis.setTimeout = this.real.setTimeout;
    globalThis.clearTimeout = this.real.clearTimeout;
    this.real = undefined;
  }

  /** Pending timers. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by ms, running every timer due by then (earliest first), then lets promises settle. */
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = due.at;
      due.run();
      await settle();
    }
    this.now = until;
    await settle();
  }
}

/** Lets pending promise callbacks run (a real macrotask turn). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
