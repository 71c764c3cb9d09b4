import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// `bin` is the `governance` executable (dist/bin.js keeps its shebang); only `index` needs types.
export default defineConfig(packageBuild({ index: 'src/index.ts', bin: 'src/bin.ts' }, { dts: { entry: { index: 'src/index.ts' } } }));
