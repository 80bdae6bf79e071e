// A run's preview enlarged: the item at full resolution (scaled up by whole pixels, never
// smoothed), beside the input image it was made from; a mask in colour with a scale saying
// what the colours stand for. Arrows page through every item; Escape closes. An image
// output's folder opens from here (or its path shows, where the host cannot open it).

import { useEffect, useRef, useState } from 'react';
import { nodeKind } from '../../core/graph';
import type { StudioController } from '../app/controller';
import { useEditor, useStore } from '../state/use-editor';

/** Viridis, in five stops: dark violet (0) to yellow (the maximum); readable in grey and by the colour-blind. */
const STOPS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];
export function colourOf(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [STOPS[i]!, STOPS[i + 1]!];
  return [0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * f)) as [number, number, number];
}
const GRADIENT = `linear-gradient(to right, ${STOPS.map((s) => `rgb(${s.join(',')})`).join(', ')})`;

/** How many times to enlarge a side of `size` pixels to about `target`: a whole number, at least 1. */
const scaleFor = (size: number, target: number) => Math.max(1, Math.floor(target / Math.max(1, size)));

function useNaturalSize(src: string | undefined): { w: number; h: number } | null {
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  useEffect(() => {
    if (!src) return;
    const img = new Image();
    img.onload = () => setSize({ w: img.naturalWidth, h: img.naturalHeight });
    img.src = src;
  }, [src]);
  return size;
}

/** A grey mask drawn through the colour map, at its own resolution (CSS scales it). */
function MaskCanvas({ src, scale, testId }: { src: string; scale: number; testId: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  useEffect(() => {
    const img = new Image();
    img.onload = () => {
      const c = ref.current;
      if (!c) return;
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const px = g.getImageData(0, 0, c.width, c.height);
      for (let i = 0; i < px.data.length; i += 4) {
        const [r, gr, b] = colourOf(px.data[i]! / 255);
        px.data[i] = r;
        px.data[i + 1] = gr;
        px.data[i + 2] = b;
      }
      g.putImageData(px, 0, 0);
      setSize({ w: img.naturalWidth, h: img.naturalHeight });
    };
    img.src = src;
  }, [src]);
  return <canvas ref={ref} className="full-preview" data-testid={testId} style={size ? { width: size.w * scale, height: size.h * scale } : undefined} />;
}

function Panel({ title, src, mask, range, target }: { title: string; src: string; mask: boolean; range?: { min: number; max: number }; target: number }) {
  const size = useNaturalSize(src);
  const scale = size ? scaleFor(Math.max(size.w, size.h), target) : 1;
  return (
    <figure className="viewer-panel">
      <figcaption>
        <strong>{title}</strong>
        {size && (
          <span className="muted" data-testid="viewer-size">
            {' '}
            {size.w}×{size.h} px{scale > 1 ? `, shown ${scale}×` : ''}
          </span>
        )}
      </figcaption>
      {mask ? (
        <MaskCanvas src={src} scale={scale} testId="viewer-mask" />
      ) : (
        <img src={src} alt={title} className="full-preview" data-testid="viewer-image" style={size ? { width: size.w * scale, height: size.h * scale } : undefined} />
      )}
      {mask && (
        <div className="colour-scale" data-testid="colour-scale">
          <div className="bar" style={{ background: GRADIENT }} />
          <div className="ticks">
            <span>{(range?.min ?? 0).toFixed(2)}</span>
            <span>{(((range?.min ?? 0) + (range?.max ?? 1)) / 2).toFixed(2)}</span>
            <span>{(range?.max ?? 1).toFixed(2)}</span>
          </div>
          <p className="muted small">Mask value: 0 where the transformer kept the input, 1 where it replaced it{(range?.max ?? 1) > 1 ? '; a sum of masks goes above 1' : ''}.</p>
        </div>
      )}
    </figure>
  );
}

export function PreviewViewer({ controller }: { controller: StudioController }) {
  const store = useStore();
  const viewer = useEditor((s) => s.viewer);
  const run = useEditor((s) => s.run);
  const graph = useEditor((s) => s.history.present.graph);
  const previews = viewer ? (run.previews[viewer.node] ?? []) : [];
  const indices = previews.flatMap((p, i) => (p ? [i] : []));
  const at = viewer ? Math.max(0, indices.indexOf(viewer.index)) : 0;
  const index = indices[at];
  useEffect(() => {
    if (!viewer) return;
    const onKey = (e: KeyboardEvent) => {
      const go = (d: number) => {
        const i = indices[Math.min(indices.length - 1, Math.max(0, at + d))];
        if (i !== undefined) store.showPreview({ node: viewer.node, index: i });
      };
      if (e.key === 'Escape') store.showPreview(null);
      else if (e.key === 'ArrowRight') go(1);
      else if (e.key === 'ArrowLeft') go(-1);
      else return;
      e.preventDefault();
      e.stopPropagation();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [viewer, indices, at, store]);
  if (!viewer || index === undefined) return null;
  const node = graph.nodes.find((n) => n.id === viewer.node);
  const kind = node?.kind ?? '';
  const name = node?.label || viewer.node;
  const info = run.previewInfo[viewer.node]?.[index];
  const mask = nodeKind(kind)?.inputs.some((p) => p.kind === 'mask') ?? false;
  // What it was made from: the image inputs' previews of the same item.
  const inputs = kind === 'image-input' ? [] : graph.nodes.filter((n) => n.kind === 'image-input' && run.previews[n.id]?.[index]);
  const target = inputs.length ? 300 : 480;
  return (
    <div className="modal-backdrop" onClick={() => store.showPreview(null)}>
      <div className="modal viewer" role="dialog" aria-label={`Preview of ${name}`} data-testid="preview-viewer" onClick={(e) => e.stopPropagation()}>
        <div className="viewer-head">
          <h2>
            {name} <span className="muted">item {at + 1} of {indices.length}</span>
          </h2>
          {info?.file && (
            <span className="muted" data-testid="viewer-file">
              {info.file}
            </span>
          )}
        </div>
        <div className="viewer-panels">
          {inputs.map((n) => (
            <Panel key={n.id} title={`Input: ${n.label || n.id}`} src={run.previews[n.id]![index]!} mask={false} target={target} />
          ))}
          <Panel title={inputs.length ? `Output: ${name}` : name} src={previews[index]!} mask={mask} {...(info?.range ? { range: info.range } : {})} target={target} />
        </div>
        <div className="modal-buttons">
          {kind === 'image-output' && (
            <button onClick={() => void controller.openOutputFolder(viewer.node)} data-testid="open-output-folder" title="Where this output writes its PNG files">
              Open output folder
            </button>
          )}
          <span className="grow" />
          <button disabled={at === 0} onClick={() => store.showPreview({ node: viewer.node, index: indices[at - 1]! })} data-testid="viewer-prev" title="Previous item (←)">
            ← Previous
          </button>
          <button disabled={at >= indices.length - 1} onClick={() => store.showPreview({ node: viewer.node, index: indices[at + 1]! })} data-testid="viewer-next" title="Next item (→)">
            Next →
          </button>
          <button onClick={() => store.showPreview(null)} data-testid="viewer-close">
            Close
          </button>
        </div>
      </div>
    </div>
  );
}

/** Where a folder is, when the host could not open it: the path, and a button to copy it. */
export function FolderNote() {
  const store = useStore();
  const folder = useEditor((s) => s.folder);
  const [copied, setCopied] = useState(false);
  if (!folder) return null;
  const close = () => {
    setCopied(false);
    store.showFolder(null);
  };
  return (
    <div className="modal-backdrop" onClick={close}>
      <div className="modal" role="dialog" aria-label="Output folder" data-testid="folder-note" onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.key === 'Escape' && close()}>
        <h2>Output folder</h2>
        <input readOnly value={folder.path} data-testid="folder-path" onFocus={(e) => e.target.select()} autoFocus />
        <p className="muted">
          {folder.exists ? 'The images are written here.' : 'It does not exist yet: the next run with this output creates it.'} A browser page cannot open folders on your machine: open it in your file manager (in the desktop app this button
          opens it).
        </p>
        <div className="modal-buttons">
          <button
            data-testid="copy-folder-path"
            onClick={() =>
              void navigator.clipboard?.writeText(folder.path).then(
                () => setCopied(true),
                () => setCopied(false),
              )
            }
          >
            {copied ? 'Copied' : 'Copy path'}
          </button>
          <button className="primary" onClick={close}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
