#!/usr/bin/env node
import { Command } from 'commander';
import { PhagoError } from '../colony/errors.js';
import { InputError } from '../io/files.js';
import { demoCommand, evalCommand, queryCommand } from './local-commands.js';

const program = new Command('phago')
  .description('phago: a self-organizing knowledge-graph memory (colony of digesters, Hebbian concept graph, BM25 search)')
  .showHelpAfterError()
  .addCommand(demoCommand())
  .addCommand(evalCommand())
  .addCommand(queryCommand());

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof InputError || e instanceof PhagoError) {
    process.stderr.write(`phago: error: ${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
