// Loss curves with uPlot: one series per loss term, smoothed by a slider (EMA, raw values
// kept), drag across the plot to zoom into iterations, Reset (or double-click) to see all.

import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { smooth } from './smoothing';
import type { LossSeries } from './training-state';

const COLOURS = ['#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c', '#fabebe', '#008080'];

/**
 * `title` and `smoothable`: the measured values (training.monitor) are a few raw points, not
 * smoothed. `axisOf`: a term's scale; terms off the default 'y' get a right-hand axis.
 */
export function LossChart({
  series,
  title = 'Losses',
  smoothable = true,
  testId = 'loss-chart',
  axisOf,
}: {
  series: LossSeries;
  title?: string;
  smoothable?: boolean;
  testId?: string;
  axisOf?: (term: string) => string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [smoothing, setSmoothing] = useState(smoothable ? 0.6 : 0);
  const terms = useMemo(() => Object.keys(series.terms).sort(), [series.terms]);
  const termKey = terms.join(',');
  const data = useMemo(
    () => [series.x as number[], ...terms.map((t) => smooth(series.terms[t]!, smoothing))] as uPlot.AlignedData,
    [series, terms, smoothing],
  );

  const right = [...new Set(terms.map((t) => axisOf?.(t) ?? 'y'))].filter((s) => s !== 'y');
  // A new set of terms needs a new plot; otherwise only the data changes (keeps the zoom).
  useEffect(() => {
    if (!box.current) return;
    const opts: uPlot.Options = {
      width: Math.max(320, box.current.clientWidth - 8),
      height: 220,
      scales: { x: { time: false } },
      axes: [
        { stroke: '#aab', grid: { stroke: '#333a' } },
        { stroke: '#aab', grid: { stroke: '#333a' } },
        ...right.map((scale) => ({ scale, side: 1 as const, stroke: '#aab', grid: { show: false }, label: scale })),
      ],
      series: [
        { label: 'iteration' },
        ...terms.map((t, i) => ({ label: t, scale: axisOf?.(t) ?? 'y', stroke: COLOURS[i % COLOURS.length], width: 1.5, spanGaps: true, ...(smoothable ? {} : { points: { show: true, size: 6 } }) })),
      ],
      cursor: { drag: { x: true, y: false } },
    };
    plot.current = new uPlot(opts, data, box.current);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [termKey]);
  useEffect(() => {
    plot.current?.setData(data, false);
    const x = data[0];
    const zoomed = plot.current && (plot.current.scales.x?.min ?? 0) > (x[0] ?? 0);
    // A range of one point has no width (uPlot cannot draw axis ticks for it).
    if (plot.current && !zoomed && x.length > 1) plot.current.setScale('x', { min: x[0]!, max: x.at(-1)! });
  }, [data]);

  const reset = () => {
    const x = data[0];
    if (plot.current && x.length > 1) plot.current.setScale('x', { min: x[0]!, max: x.at(-1)! });
  };
  return (
    <section className="loss-chart" data-testid={testId} data-points={series.x.length} data-right-axes={right.join(',')}>
      <div className="chart-tools">
        <h3>{title}</h3>
        {smoothable && (
          <label>
            Smoothing <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} data-testid="smoothing" />{' '}
            {smoothing.toFixed(2)}
          </label>
        )}
        <button onClick={reset} title="Show all iterations (or double-click the plot)">
          Reset zoom
        </button>
        <span className="muted">drag across the plot to zoom</span>
      </div>
      <div ref={box} className="chart-box" />
      {!series.x.length && <p className="muted">Curves appear once training runs.</p>}
    </section>
  );
}
