// Every test file: tfjs's "install the node backend" banner and deprecation notes silenced, as
// initBackend does for the app (PROD changes no numerics, only whether tfjs prints those).
import * as tf from '@tensorflow/tfjs-core';

tf.env().set('PROD', true);
