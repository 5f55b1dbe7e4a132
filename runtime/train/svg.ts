// Line charts as inline SVG strings: axes with round ticks, linear or log y, a legend; no scripts, no fonts to fetch.

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  /** SVG stroke-dasharray, e.g. '6 4'. */
  readonly dash?: string;
  /** Draw a dot at every point (for sparse series such as per-epoch values). */
  readonly markers?: boolean;
  readonly opacity?: number;
  /** A shaded band (x, low, high) behind the line, e.g. the min-max over seeds. */
  readonly band?: readonly (readonly [number, number, number])[];
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly logY?: boolean;
  readonly width?: number;
  readonly height?: number;
}

export const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

function linearTicks(lo: number, hi: number, count = 5): number[] {
  const step = niceStep(hi - lo, count);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 560;
  const H = o.height ?? 320;
  const m = { left: 62, right: 16, top: 34, bottom: 44 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const ok = (p: readonly [number, number]) => Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!o.logY || p[1] > 0);
  const series = o.series.map((s) => ({ ...s, points: s.points.filter(ok) })).filter((s) => s.points.length > 0);
  const all = series.flatMap((s) => [...s.points, ...(s.band ?? []).flatMap(([x, lo, hi]) => [[x, lo], [x, hi]] as const).filter(ok)]);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeHtml(o.title)}</text>`,
  ];
  if (all.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#888">no data</text></svg>`);
    return parts.join('');
  }
  let [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  const ty = (v: number) => (o.logY ? Math.log10(v) : v);
  let [y0, y1] = [Math.min(...all.map((p) => ty(p[1]))), Math.max(...all.map((p) => ty(p[1])))];
  if (y0 === y1) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  if (!o.logY && y0 > 0 && y0 < (y1 - y0) * 0.5) y0 = 0;
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => m.top + ph - ((ty(y) - y0) / (y1 - y0)) * ph;

  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="#fff" stroke="#999"/>`);
  const yTicks = o.logY ? logTicks(y0, y1) : linearTicks(y0, y1);
  for (const v of yTicks) {
    const y = sy(v).toFixed(1);
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${m.left - 5}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmt(v)}</text>`);
  }
  for (const v of linearTicks(x0, x1, 6)) {
    const x = sx(v).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.top}" y2="${m.top + ph}" stroke="#f3f3f3"/>`);
    parts.push(`<text x="${x}" y="${m.top + ph + 14}" text-anchor="middle">${fmt(v)}</text>`);
  }
  parts.push(`<text x="${m.left + pw / 2}" y="${H - 8}" text-anchor="middle">${escapeHtml(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(o.yLabel)}${o.logY ? ' (log scale)' : ''}</text>`);
  for (const s of series) {
    const band = (s.band ?? []).filter(([x, lo, hi]) => ok([x, lo]) && ok([x, hi]));
    if (band.length > 1) {
      const edge = [...band.map(([x, , hi]) => [x, hi] as const), ...band.reverse().map(([x, lo]) => [x, lo] as const)];
      parts.push(`<path d="${edge.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p[0]).toFixed(1)} ${sy(p[1]).toFixed(1)}`).join('')}Z" fill="${s.color}" fill-opacity="0.15" stroke="none"/>`);
    }
  }
  for (const s of series) {
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p[0]).toFixed(1)} ${sy(p[1]).toFixed(1)}`).join('');
    const attrs = `stroke="${s.color}" fill="none" stroke-width="1.6"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}${s.opacity !== undefined ? ` stroke-opacity="${s.opacity}"` : ''}`;
    parts.push(`<path d="${d}" ${attrs}/>`);
    if (s.markers) for (const p of s.points) parts.push(`<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
  }
  // Legend below the plot, in as many columns as fit, so it never hides a curve.
  const named = series.filter((s) => s.name);
  const colW = 34 + 6.2 * Math.max(0, ...named.map((s) => s.name.length));
  const cols = Math.max(1, Math.floor((W - m.left) / colW));
  named.forEach((s, i) => {
    const x = m.left + (i % cols) * colW;
    const y = H + 8 + Math.floor(i / cols) * 15;
    parts.push(`<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}${s.opacity !== undefined ? ` stroke-opacity="${s.opacity}"` : ''}/>`);
    parts.push(`<text x="${x + 27}" y="${y}" dominant-baseline="middle">${escapeHtml(s.name)}</text>`);
  });
  const total = H + (named.length ? 8 + Math.ceil(named.length / cols) * 15 : 0);
  parts[0] = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${total}" viewBox="0 0 ${W} ${total}" font-family="sans-serif" font-size="11">`;
  parts.push('</svg>');
  return parts.join('');
}

/** Ticks for a log axis given log10 bounds: powers of ten, or 1-2-5 steps when the range is short. */
function logTicks(l0: number, l1: number): number[] {
  const out: number[] = [];
  const mult = l1 - l0 < 2 ? [1, 2, 5] : [1];
  const stride = l1 - l0 > 8 ? Math.ceil((l1 - l0) / 8) : 1;
  for (let e = Math.floor(l0); e <= Math.ceil(l1); e += stride) for (const k of mult) {
    const v = k * 10 ** e;
    if (Math.log10(v) >= l0 && Math.log10(v) <= l1) out.push(v);
  }
  return out;
}

/** A small inline bar of the two tails of a saturating value: low (blue) then high (orange), as fractions. */
export function tailBar(low: number, high: number): string {
  return `<span class="bar"><span style="width:${(100 * low).toFixed(1)}%;background:#6baed6"></span><span style="width:${(100 * high).toFixed(1)}%;background:#fd8d3c"></span></span>`;
}

/** The CSS the tail bars need. */
export const tailBarCss = '.bar{display:inline-flex;width:90px;height:9px;background:#eee;vertical-align:middle;margin-left:6px}.bar span{display:block;height:9px}';
