// Internal (not in the palette): the status-bar item's command, shows the panel.
import type { Unroll } from '.';

export const id = 'unroll.showPanel';
export const internal = true;

export function run(unroll: Unroll): void {
  unroll.panel.show();
}
