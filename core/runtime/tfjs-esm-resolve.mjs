// Node module-resolution hook (module.register): lets Node load tfjs-core's ESM build, whose
// relative imports omit '.js' and name folders ('./gradients'), which bundlers accept and
// Node's ESM resolver does not. Only specifiers from inside tfjs-core's dist are touched.

const TFJS_DIST = '/@tensorflow/tfjs-core/dist/';

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (!specifier.startsWith('.') || !context.parentURL?.includes(TFJS_DIST)) throw error;
    for (const suffix of ['.js', '/index.js']) {
      try {
        return await nextResolve(specifier + suffix, context);
      } catch {
        // try the next form
      }
    }
    throw error;
  }
}
