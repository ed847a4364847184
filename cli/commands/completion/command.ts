import { Argument, type Command } from 'commander';

/** Defines `redis-dr completion` (its help); the generator loads only when it runs. */
export function completionCommand(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script for redis-dr (its commands, options and choices)')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      '\nLoad it: source <(redis-dr completion bash) (or zsh); redis-dr completion fish | source.\n' +
        'Install it: redis-dr completion bash > /etc/bash_completion.d/redis-dr; ' +
        'redis-dr completion fish > ~/.config/fish/completions/redis-dr.fish; zsh: save it as _redis-dr in a directory of $fpath.',
    )
    .action(async (shell: 'bash' | 'zsh' | 'fish') => (await import('./action.js')).completionAction(program, shell));
}
