import type { AttributeGroup } from './ports';

// The attribute sets of the built-in datasets. Datasets, samples, palette defaults and docs
// read them from here.

const onehot = (name: string, values: string[]): AttributeGroup => ({ name, kind: 'onehot', values });
const binary = (name: string): AttributeGroup => ({ name, kind: 'binary' });

export const DIGIT = onehot('digit', ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

/** ColorMNIST, the attribute set of the MNIST-Dialog family. */
export const COLOR_MNIST = {
  digit: DIGIT,
  color: onehot('color', ['red', 'blue', 'green', 'purple', 'brown']),
  style: onehot('style', ['flat', 'stroke']),
  background: onehot('background', ['cyan', 'yellow', 'white', 'silver', 'salmon']),
} as const;

/** The paper's CelebA attributes, with the columns of list_attr_celeba.txt they come from. */
export const CELEBA = {
  hair: onehot('hair', ['black', 'blond', 'brown']),
  male: binary('male'),
  smiling: binary('smiling'),
} as const;
export const CELEBA_COLUMNS: Readonly<Record<string, string | Readonly<Record<string, string>>>> = {
  hair: { black: 'Black_Hair', blond: 'Blond_Hair', brown: 'Brown_Hair' },
  male: 'Male',
  smiling: 'Smiling',
};

/** Faces the project renders itself, so every counterfactual is known exactly. */
export const SYNTHETIC_FACES = {
  hair: onehot('hair', ['black', 'blond', 'brown']),
  smiling: binary('smiling'),
  glasses: binary('glasses'),
} as const;

export const DATASET_SOURCES = ['colormnist', 'synthetic-faces', 'celeba', 'image-folder'] as const;
export type DatasetSource = (typeof DATASET_SOURCES)[number];

/** The attribute groups a dataset source provides when the user has not chosen others. */
export const DEFAULT_DATASET_GROUPS: Readonly<Record<DatasetSource, readonly AttributeGroup[]>> = {
  colormnist: [COLOR_MNIST.digit, COLOR_MNIST.color, COLOR_MNIST.style, COLOR_MNIST.background],
  'synthetic-faces': [SYNTHETIC_FACES.hair, SYNTHETIC_FACES.smiling, SYNTHETIC_FACES.glasses],
  celeba: [CELEBA.hair, CELEBA.male, CELEBA.smiling],
  'image-folder': [],
};
