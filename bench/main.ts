// `npm run bench`: prints one JSON object with every benchmark's numbers.
import { benchGraph } from './graph';

const results: Record<string, unknown> = {
  machine: { node: process.version, platform: `${process.platform}-${process.arch}` },
  graph: benchGraph(),
};
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
