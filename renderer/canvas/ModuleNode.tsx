// One node on the canvas: title, ports coloured by type and labelled with their shapes,
// problems in words, and the run's previews for output nodes.

import { Handle, type NodeProps, Position } from '@xyflow/react';
import { memo } from 'react';
import { handleKey } from '../state/editor-store';
import { useEditor, useStore } from '../state/use-editor';
import type { FlowNode, PortView } from './flow-view';

function Port({ node, port, side, accepting, compact }: { node: string; port: PortView; side: 'input' | 'output'; accepting: ReadonlySet<string> | null; compact: boolean }) {
  const key = handleKey(node, side, port.name);
  const state = accepting ? (accepting.has(key) ? ' accepts' : ' refuses') : '';
  // A compact node shows no port text: its tooltip says what the port is.
  const tip = port.error ?? (compact ? `${port.title}${port.shape ? ` (${port.shape})` : ''}: ${port.help}` : port.help);
  return (
    <div className={`port-row ${side}${port.error ? ' port-error' : ''}`} title={tip}>
      <Handle
        type={side === 'input' ? 'target' : 'source'}
        position={side === 'input' ? Position.Left : Position.Right}
        id={port.name}
        className={`port port-${port.kind}${state}`}
        data-testid={`handle-${node}-${side}-${port.name}`}
      />
      <span className="port-title">{port.title}</span>
      <span className="port-shape">{port.shape}</span>
    </div>
  );
}

/** Previews shown on the node; the viewer pages through all of them. */
const THUMBNAILS = 8;

export const ModuleNode = memo(function ModuleNode({ id, data, selected }: NodeProps<FlowNode>) {
  const accepting = useEditor((s) => s.accepting);
  const previews = useEditor((s) => s.run.previews[id]);
  const runError = useEditor((s) => (s.run.error?.node === id ? s.run.error.message : null));
  const runWarnings = useEditor((s) => s.run.warnings[id]);
  const store = useStore();
  const invalid = data.errors.length > 0 || runError !== null;
  return (
    <div
      className={`module-node cat-${data.category}${invalid ? ' invalid' : ''}${selected ? ' selected' : ''}${data.bypassed ? ' bypassed' : ''}${data.compact ? ' compact' : ''}`}
      data-testid={`node-${id}`}
      data-kind={data.kind}
      data-bypassed={data.bypassed || undefined}
    >
      <div className="node-header">
        <span className="node-title">{data.title}</span>
        <span className="node-label">{data.label}</span>
        {data.kind === 'preset' && (
          <button type="button" className="link nodrag" title="Replace this node by the nodes it stands for" data-testid={`open-up-${id}`} onClick={() => store.openUp(id)}>
            Open up
          </button>
        )}
      </div>
      {data.untrained > 0 && (
        <div className="node-badges">
          <span
            className="node-badge untrained"
            data-testid={`untrained-${id}`}
            title={`${data.kind === 'preset' ? `${data.untrained} module(s) inside have` : 'It has'} no weights file: it runs with random weights drawn from the seed, so what comes out is noise. Set its Weights to a trained .mgw file, or train it in the Training tab.`}
          >
            untrained — outputs noise
          </span>
        </div>
      )}
      <div className="node-ports">
        <div className="inputs">
          {data.inputs.map((p) => (
            <Port key={p.name} node={id} port={p} side="input" accepting={accepting} compact={data.compact} />
          ))}
        </div>
        <div className="outputs">
          {data.outputs.map((p) => (
            <Port key={p.name} node={id} port={p} side="output" accepting={accepting} compact={data.compact} />
          ))}
        </div>
      </div>
      {data.errors.map((m) => (
        <div key={m} className="node-error" role="alert">
          {m}
        </div>
      ))}
      {runError && (
        <div className="node-error run-error" role="alert" data-testid="run-error">
          {runError}
        </div>
      )}
      {data.warnings.map((m) => (
        <div key={m} className="node-warning">
          {m}
        </div>
      ))}
      {runWarnings?.map((m) => (
        <div key={m} className="node-warning run-warning" role="alert" data-testid={`run-warning-${id}`}>
          ⚠ {m}
        </div>
      ))}
      {previews && previews.length > 0 && (
        <div className="previews nodrag">
          {previews.slice(0, THUMBNAILS).map((src, i) =>
            src ? (
              <img
                key={i}
                src={src}
                alt={`${data.label} ${i + 1}`}
                title="Click to see it at full size, beside its input"
                className="preview"
                data-testid="preview"
                onClick={() => store.showPreview({ node: id, index: i })}
              />
            ) : null,
          )}
          {previews.length > THUMBNAILS && (
            <button type="button" className="link more-previews" data-testid={`more-previews-${id}`} onClick={() => store.showPreview({ node: id, index: THUMBNAILS })}>
              +{previews.filter(Boolean).length - THUMBNAILS} more
            </button>
          )}
        </div>
      )}
    </div>
  );
});
