// The node reference, written from the catalogue so it can never drift from what the
// validator and executor do. `npm run docs` writes it to docs/nodes.md.

import { CATALOGUE, type NodeKindDef, defaultParams } from './catalogue';
import type { ParamSpec } from './params';
import { PORT_KIND_NAMES, describeGroups } from './ports';

const CATEGORY_TITLES = { input: 'Inputs', module: 'ModularGAN modules', output: 'Outputs and previews', training: 'Training graph' } as const;

function range(s: ParamSpec): string {
  switch (s.type) {
    case 'int':
      return `whole number ${s.min}–${s.max}${s.multipleOf ? `, multiple of ${s.multipleOf}` : ''}`;
    case 'float':
      return `number ${s.min}–${s.max}`;
    case 'enum':
      return s.options.map((o) => `\`${o}\``).join(', ');
    case 'bool':
      return 'yes/no';
    case 'string':
      return 'text';
    case 'path':
      return `${s.mode.replace(/-/g, ' ')} path${s.required ? ' (required)' : ''}`;
    case 'attributes':
      return 'attribute groups';
    case 'values':
      return 'a value per attribute';
  }
}

function defaultText(s: ParamSpec, v: unknown): string {
  if (s.type === 'attributes') return describeGroups(v as never) || '(none)';
  if (s.type === 'values') return Object.entries(v as Record<string, string>).map(([k, x]) => `${k}=${x}`).join(', ') || '(none)';
  return v === '' ? '(empty)' : String(v);
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

function nodeSection(def: NodeKindDef): string {
  const lines = [`### ${def.title} (\`${def.kind}\`)`, '', def.help, ''];
  const ports = [
    ...def.inputs.map((p) => ['input', p] as const),
    ...def.outputs.map((p) => ['output', p] as const),
  ];
  if (ports.length) {
    lines.push('| port | direction | type | |', '|---|---|---|---|');
    for (const [dir, p] of ports) {
      const flags = [p.optional && 'optional', p.multiple && 'any number of edges'].filter(Boolean).join(', ');
      lines.push(`| ${p.title} (\`${p.name}\`) | ${dir} | ${PORT_KIND_NAMES[p.kind]} | ${cell(p.help)}${flags ? ` (${flags})` : ''} |`);
    }
    lines.push('');
  }
  const defaults = defaultParams(def);
  const params = Object.entries(def.params);
  if (params.length) {
    lines.push('| parameter | values | default | |', '|---|---|---|---|');
    for (const [k, s] of params) lines.push(`| ${s.title} (\`${k}\`) | ${cell(range(s))} | ${cell(defaultText(s, defaults[k]))} | ${cell(s.help)} |`);
    lines.push('');
  }
  return lines.join('\n');
}

export function nodeReference(): string {
  const out = [
    '# Node reference',
    '',
    '<!-- Generated from core/graph/catalogue.ts by `npm run docs`; do not edit by hand. -->',
    '',
    'Sizes are written channels × height × width. A size of 0 for an image size means "take it from the connected input".',
    '',
  ];
  for (const [cat, title] of Object.entries(CATEGORY_TITLES)) {
    out.push(`## ${title}`, '');
    for (const def of CATALOGUE.filter((d) => d.category === cat)) out.push(nodeSection(def));
  }
  return `${out.join('\n').trimEnd()}\n`;
}
