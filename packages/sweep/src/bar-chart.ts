/**
 * A bar chart with error bars as a standalone SVG (the form of the paper's figure 2): one bar
 * per configuration at its mean, a whisker of ± one standard deviation, the seeds' count below.
 */

/** One bar. */
export interface Bar {
  readonly label: string;
  readonly mean: number;
  readonly sd: number;
  /** Runs behind the mean (shown as n=...). */
  readonly n: number;
}

export interface BarChartOptions {
  readonly title: string;
  readonly yLabel: string;
  readonly bars: readonly Bar[];
  /** Top of the y axis (default: the highest mean + sd, rounded up). */
  readonly yMax?: number;
  /** Tick label text (default: up to 3 significant digits). */
  readonly format?: (value: number) => string;
}

function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** A "nice" axis top and step for values up to `max`: 1, 2 or 5 times a power of ten. */
function niceAxis(max: number): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.2 };
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  return { top: Math.ceil(max / step - 1e-9) * step, step };
}

/** Renders the chart; bars without runs (n = 0) are drawn as a gap labelled "no runs". */
export function barChartSvg(options: BarChartOptions): string {
  const { bars } = options;
  const format = options.format ?? ((v: number) => String(Number(v.toPrecision(3))));
  const plotW = Math.max(240, 70 * bars.length);
  const margin = { left: 70, right: 20, top: 40, bottom: 90 };
  const plotH = 260;
  const width = margin.left + plotW + margin.right;
  const height = margin.top + plotH + margin.bottom;
  const highest = Math.max(0, ...bars.filter((b) => b.n > 0).map((b) => b.mean + b.sd));
  const axis =
    options.yMax !== undefined
      ? { top: options.yMax, step: niceAxis(options.yMax).step }
      : niceAxis(highest);
  const y = (v: number): number =>
    margin.top + plotH - (Math.min(Math.max(v, 0), axis.top) / axis.top) * plotH;
  const slot = plotW / Math.max(1, bars.length);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
  ];
  for (let v = 0; v <= axis.top + 1e-9; v += axis.step) {
    out.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
    );
    out.push(
      `<text x="${margin.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${escapeXml(format(v))}</text>`,
    );
  }
  out.push(
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="black"/>`,
  );
  out.push(
    `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="black"/>`,
  );
  bars.forEach((bar, i) => {
    const cx = margin.left + slot * (i + 0.5);
    const bw = slot * 0.6;
    const labelY = margin.top + plotH + 14;
    out.push(
      `<g class="bar" data-label="${escapeXml(bar.label)}" data-mean="${bar.mean}" data-sd="${bar.sd}" data-n="${bar.n}">`,
    );
    if (bar.n > 0) {
      out.push(
        `<rect x="${(cx - bw / 2).toFixed(1)}" y="${y(bar.mean).toFixed(1)}" width="${bw.toFixed(1)}" height="${(y(0) - y(bar.mean)).toFixed(1)}" fill="#4c78a8"/>`,
      );
      if (bar.sd > 0) {
        const top = y(bar.mean + bar.sd).toFixed(1);
        const bottom = y(bar.mean - bar.sd).toFixed(1);
        out.push(
          `<line class="error-bar" x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${top}" y2="${bottom}" stroke="black" stroke-width="1.5"/>`,
        );
        out.push(
          `<line x1="${(cx - 6).toFixed(1)}" x2="${(cx + 6).toFixed(1)}" y1="${top}" y2="${top}" stroke="black" stroke-width="1.5"/>`,
        );
        out.push(
          `<line x1="${(cx - 6).toFixed(1)}" x2="${(cx + 6).toFixed(1)}" y1="${bottom}" y2="${bottom}" stroke="black" stroke-width="1.5"/>`,
        );
      }
    } else {
      out.push(
        `<text x="${cx.toFixed(1)}" y="${(y(0) - 6).toFixed(1)}" text-anchor="middle" fill="#888">no runs</text>`,
      );
    }
    out.push(
      `<text transform="translate(${cx.toFixed(1)} ${labelY}) rotate(30)" text-anchor="start">${escapeXml(bar.label)}</text>`,
    );
    out.push(
      `<text x="${cx.toFixed(1)}" y="${margin.top + plotH + 80}" text-anchor="middle" fill="#555">n=${bar.n}</text>`,
    );
    out.push(`</g>`);
  });
  out.push(`</svg>`);
  return `${out.join("\n")}\n`;
}
