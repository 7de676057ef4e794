#!/usr/bin/env node
// Runs the TypeScript sources directly (no build step) through tsx.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/cli.ts');
await run(process.argv.slice(2));
