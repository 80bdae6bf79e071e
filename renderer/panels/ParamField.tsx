// One parameter widget, chosen by the parameter's spec in the catalogue.

import { useState } from 'react';
import { type AttributeGroup, type ParamSpec, attributeGroupsProblem, fittingValues, paramProblem } from '../../core/graph';

interface Props {
  readonly name: string;
  readonly spec: ParamSpec;
  readonly value: unknown;
  /** The node's attribute groups, for the 'values' widget. */
  readonly groups: readonly AttributeGroup[];
  readonly onChange: (v: unknown) => void;
  readonly onDone: () => void;
}

function JsonField({ value, onChange, onDone, check }: { value: unknown; onChange: (v: unknown) => void; onDone: () => void; check: (v: unknown) => string | null }) {
  const [text, setText] = useState(() => JSON.stringify(value, null, 1));
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <>
      <textarea
        rows={4}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          try {
            const v = JSON.parse(e.target.value) as unknown;
            const p = check(v);
            setProblem(p);
            if (!p) onChange(v);
          } catch {
            setProblem('not valid JSON yet');
          }
        }}
        onBlur={onDone}
      />
      {problem && <div className="field-problem">{problem}</div>}
    </>
  );
}

export function ParamField({ name, spec, value, groups, onChange, onDone }: Props) {
  const problem = paramProblem(spec, value);
  const id = `param-${name}`;
  let input;
  switch (spec.type) {
    case 'int':
    case 'float':
      input = (
        <input
          id={id}
          type="number"
          min={spec.min}
          max={spec.max}
          step={spec.type === 'int' ? (spec.multipleOf ?? 1) : 'any'}
          value={typeof value === 'number' ? value : ''}
          onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
          onBlur={onDone}
        />
      );
      break;
    case 'enum':
      input = (
        <select id={id} value={String(value)} onChange={(e) => onChange(e.target.value)}>
          {spec.options.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      );
      break;
    case 'bool':
      input = <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
      break;
    case 'string':
    case 'path':
      input = <input id={id} type="text" value={typeof value === 'string' ? value : ''} placeholder={spec.type === 'path' ? spec.mode : ''} onChange={(e) => onChange(e.target.value)} onBlur={onDone} />;
      break;
    case 'attributes':
      input = <JsonField value={value} onChange={onChange} onDone={onDone} check={attributeGroupsProblem} />;
      break;
    case 'values': {
      // Only the groups there are: a value of an attribute the node no longer has goes with the next choice.
      const values = fittingValues(groups, value);
      input = (
        <div className="values">
          {!groups.length && <span className="muted">no attributes to choose for</span>}
          {groups.map((g) => (
            <label key={g.name}>
              {g.name}{' '}
              <select value={values[g.name] ?? ''} data-testid={`values-${name}-${g.name}`} onChange={(e) => onChange({ ...values, [g.name]: e.target.value })}>
                <option value="" disabled>
                  choose…
                </option>
                {(g.kind === 'onehot' ? g.values : ['0', '1']).map((v) => (
                  <option key={v} value={v}>
                    {g.kind === 'binary' ? (v === '1' ? 'yes' : 'no') : v}
                  </option>
                ))}
              </select>
            </label>
          ))}
        </div>
      );
      break;
    }
  }
  return (
    <div className={`param${problem ? ' invalid' : ''}`} title={spec.help}>
      <label htmlFor={id}>{spec.title}</label>
      {input}
      {problem && spec.type !== 'attributes' && <div className="field-problem">{problem}</div>}
    </div>
  );
}
