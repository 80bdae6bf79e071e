// The page's entry: picks the transport (Electron preload or web host) and mounts the studio.

import '@xyflow/react/dist/style.css';
import './styles.css';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import type { StudioController } from './app/controller';
import type { TrainingController } from './training/training-controller';
import { installTestHooks } from './test-hooks';
import { studioBridge } from './transport/bridge';

const testing = new URLSearchParams(location.search).has('test');
const onReady = testing ? (c: StudioController, t: TrainingController) => installTestHooks(c, t) : undefined;
createRoot(document.getElementById('root')!).render(<App api={studioBridge()} onReady={onReady} />);
