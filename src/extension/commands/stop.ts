// Stop: ends whatever computes, the view's analysis or comparison and a training (in the palette while one trains).
import type { Unroll } from '.';

export const id = 'unroll.stop';

export function run(unroll: Unroll): Promise<void> {
  return unroll.workers.stop();
}
