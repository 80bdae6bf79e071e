// One node on the canvas: title, ports coloured by type and labelled with their shapes,
// problems in words, and the run's previews for output nodes.

import { Handle, type NodeProps, Position } from '@xyflow/react';
import { memo } from 'react';
import { handleKey } from '../state/editor-store';
import { useEditor, useStore } from '../state/use-editor';
import type { FlowNode, PortView } from './flow-view';

function Port({ node, port, side, accepting }: { node: string; port: PortView; side: 'input' | 'output'; accepting: ReadonlySet<string> | null }) {
  const key = handleKey(node, side, port.name);
  const state = accepting ? (accepting.has(key) ? ' accepts' : ' refuses') : '';
  return (
    <div className={`port-row ${side}${port.error ? ' port-error' : ''}`} title={port.error ?? port.help}>
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

export const ModuleNode = memo(function ModuleNode({ id, data, selected }: NodeProps<FlowNode>) {
  const accepting = useEditor((s) => s.accepting);
  const previews = useEditor((s) => s.run.previews[id]);
  const runError = useEditor((s) => (s.run.error?.node === id ? s.run.error.message : null));
  const store = useStore();
  const invalid = data.errors.length > 0 || runError !== null;
  return (
    <div
      className={`module-node cat-${data.category}${invalid ? ' invalid' : ''}${selected ? ' selected' : ''}${data.bypassed ? ' bypassed' : ''}`}
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
            <Port key={p.name} node={id} port={p} side="input" accepting={accepting} />
          ))}
        </div>
        <div className="outputs">
          {data.outputs.map((p) => (
            <Port key={p.name} node={id} port={p} side="output" accepting={accepting} />
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
      {previews && previews.length > 0 && (
        <div className="previews">
          {previews.map((src, i) => (src ? <img key={i} src={src} alt={`${data.label} ${i + 1}`} className="preview" data-testid="preview" /> : null))}
        </div>
      )}
    </div>
  );
});
