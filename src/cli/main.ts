#!/usr/bin/env node
import { Command } from 'commander';
import { PhagoError } from '../core/errors.js';
import { InputError } from '../io/files.js';
import { describeError, isGrpcError } from '../rpc/client.js';
import { coordinatorCommand, exploreCommand, ingestCommand, shardCommand, statusCommand, tickCommand } from './cluster-commands.js';
import { demoCommand, evalCommand, queryCommand } from './local-commands.js';
import { forgetCommand } from './forget-command.js';

const program = new Command('phago')
  .description('phago: a self-organizing knowledge-graph memory (colony of digesters, Hebbian concept graph, BM25 search)')
  .showHelpAfterError()
  .addCommand(demoCommand())
  .addCommand(evalCommand())
  .addCommand(queryCommand())
  .addCommand(coordinatorCommand())
  .addCommand(shardCommand())
  .addCommand(ingestCommand())
  .addCommand(tickCommand())
  .addCommand(forgetCommand())
  .addCommand(statusCommand())
  .addCommand(exploreCommand());

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof InputError || e instanceof PhagoError || e instanceof RangeError) {
    process.stderr.write(`phago: error: ${e.message}\n`);
    process.exit(1);
  }
  if (isGrpcError(e)) {
    process.stderr.write(`phago: error: ${describeError(e)}\n`);
    process.exit(1);
  }
  throw e;
}
