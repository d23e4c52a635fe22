import type { Command } from 'commander';
import type { CliDeps } from './context.js';
import { baseProgram, finishProgram } from './program-base.js';
import { register as registerApplyStaged } from './commands/apply-staged.js';
import { register as registerComponent } from './commands/component.js';
import { register as registerInventory } from './commands/inventory.js';
import { register as registerOptions } from './commands/options.js';
import { register as registerSession } from './commands/session.js';
import { register as registerTemplate } from './commands/sessiontemplate.js';
import { register as registerDemo } from './commands/demo.js';
import { register as registerSim } from './commands/sim.js';
import { register as registerToken } from './commands/token.js';
import { register as registerTenant } from './commands/tenant.js';
import { register as registerImage } from './commands/image.js';
import { register as registerRollback } from './commands/rollback.js';
import { register as registerSlurm } from './commands/slurm.js';
import { register as registerHostlist } from './commands/hostlist.js';
import { register as registerDoctor } from './commands/doctor.js';
import { register as registerCompletion } from './commands/completion.js';
import { register as registerDb } from './commands/db.js';

/** Every command: what --help, the man pages and every command but apply-staged use. */
export function buildProgram(deps: CliDeps): Command {
  const program = baseProgram(deps);
  // Grouped as gh groups its commands: the workflow first, then what it stands on.
  program.commandsGroup('Rolling upgrades:');
  registerTemplate(program, deps);
  registerSession(program, deps);
  registerApplyStaged(program, deps);
  registerComponent(program, deps);
  registerRollback(program, deps);
  program.commandsGroup('Cluster and access:');
  registerInventory(program, deps);
  registerOptions(program, deps);
  registerToken(program, deps);
  registerTenant(program, deps);
  registerImage(program, deps);
  registerSlurm(program, deps);
  registerHostlist(program, deps);
  program.commandsGroup('Set-up and help:');
  registerDoctor(program, deps);
  registerDb(program, deps);
  registerCompletion(program, deps);
  registerDemo(program, deps);
  registerSim(program, deps);
  program.helpCommand('help [command]', 'show the help of a command');

  return finishProgram(program, deps);
}
