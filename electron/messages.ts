// What travels between the page and main, with a schema for each hop. The page's calls
// reach main on CALL_CHANNEL; main forwards engine calls to the utility process (that hop's
// schemas are core/engine/engine-process.ts'); main passes run events and menu commands to the page.

import { z } from 'zod';

export const CALL_CHANNEL = 'modulargan:call';
export const RUN_EVENT_CHANNEL = 'modulargan:run-event';
export const MENU_CHANNEL = 'modulargan:menu';
/** page -> main: use the engine at a target (core/api's engineTargetSchema), or null for the app's own. */
export const CONNECT_CHANNEL = 'modulargan:connect';
/** page -> main: the engines connected to lately. */
export const ENGINES_CHANNEL = 'modulargan:engines';

/** page -> main, the one argument of an invoke on CALL_CHANNEL */
export const pageCallSchema = z.object({ method: z.string().max(64), params: z.array(z.unknown()).max(8) });
