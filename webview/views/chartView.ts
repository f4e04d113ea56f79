// A view that is one chart.js chart on the view's canvas. The chart is created once; later redraws (new data,
// a selected step, a theme change, a new width) update it in place with animations off.
import type { Config } from '../charts';
import { Chart, chartCanvas, chartSvg } from '../charts';
import { pngBase64, View } from './view';

export abstract class ChartView extends View {
  protected chart?: Chart;
  private created = 0;

  /** The chart's whole configuration for the current data, settings and palette, at this width. */
  protected abstract config(width: number): Config;

  /** Bring the live chart up to date before it redraws. By default, fresh data and options from `config`. */
  protected sync(chart: Chart, width: number): void {
    const c = this.config(width);
    chart.data = c.data as Chart['data'];
    chart.options = c.options as Chart['options'];
  }

  protected draw(width: number): void {
    const height = this.layoutHeight(width);
    if (!this.chart) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.chart = new Chart(this.canvas, this.config(width) as never);
      this.root.dataset.chartsCreated = String(++this.created);
    } else {
      this.sync(this.chart, width);
      if (this.chart.width !== width || this.chart.height !== height) this.chart.resize(width, height);
      this.chart.update('none');
    }
    // The drawn axis ranges and the x axis's resolved colors, for tests and anyone inspecting the DOM.
    for (const id of ['x', 'y']) {
      const s = this.chart.scales[id];
      if (s) this.root.dataset[`${id}Range`] = `${s.min} ${s.max}`;
    }
    type AxisOptions = {
      ticks: { color: unknown };
      title: { color: unknown };
      grid: { display: boolean; color: unknown };
      border: { color: unknown; dash: unknown };
    };
    const colors: Record<string, unknown> = {};
    for (const id of ['x', 'y']) {
      const o = this.chart.scales[id]?.options as unknown as AxisOptions | undefined;
      if (o)
        colors[id] = {
          ticks: o.ticks.color,
          title: o.title.color,
          grid: o.grid.display ? o.grid.color : null,
          border: o.border.color,
          gridDash: o.border.dash,
        };
    }
    this.root.dataset.axisColors = JSON.stringify(colors);
  }

  toSvg(): string {
    const [w, h] = this.exportSize();
    return chartSvg(this.config(w), w, h);
  }

  toPngBase64(): string {
    const [w, h] = this.exportSize();
    return pngBase64(chartCanvas(this.config(w), w, h, 2));
  }
}
