// The bundled demos, by name: what each shows and its file beside the main demo. The page
// offers them and openDemo's schema accepts exactly these names.

export const DEMOS = {
  translation: { title: 'Translation demo: synthetic faces (E → hair → smile → glasses → R)', file: 'demo.mgproj.json' },
  generation: { title: 'Generation demo: ColorMNIST (G → colour → style → background → R)', file: 'generation.mgproj.json' },
} as const;
export type DemoName = keyof typeof DEMOS;
export const DEMO_NAMES = Object.keys(DEMOS) as [DemoName, ...DemoName[]];
