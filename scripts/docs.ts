// `npm run docs`: regenerates docs/nodes.md from the node catalogue.
import { writeFileSync } from 'node:fs';
import { nodeReference } from '../core/graph/docs';

writeFileSync(new URL('../docs/nodes.md', import.meta.url), nodeReference());
