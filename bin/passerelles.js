#!/usr/bin/env node
// Runs the TypeScript sources directly (no build step) through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
const { AppError } = await import('../src/core/errors.ts');
try {
  const code = await main(process.argv.slice(2));
  if (code >= 0) process.exitCode = code;
} catch (err) {
  if (err instanceof AppError) {
    console.error(`Erreur : ${err.message} [${err.code}]`);
    process.exitCode = 2;
  } else {
    console.error(err);
    process.exitCode = 1;
  }
}
