/** From the configuration to what `strowger/acd` takes: createAcd(options), addQueue, addAgent. */
import type { AcdOptions, AgentConfig, QueueConfig } from '../../acd/index.js';
import type { AgentEntryConfig, QueueEntryConfig, SwitchConfig } from './types.js';

const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** ACD options of a configuration (the switch adds its clock). */
export function acdOptions(config: SwitchConfig): AcdOptions {
  return defined({ ...config.acd });
}

/** A configured queue as `acd.addQueue` takes it. */
export function acdQueueConfig(queue: QueueEntryConfig): QueueConfig {
  return defined({ ...queue }) as QueueConfig;
}

/** A configured agent as `acd.addAgent` takes it (the extension stays with the switch). */
export function acdAgentConfig(agent: AgentEntryConfig): AgentConfig {
  const { extension: _extension, ...rest } = agent;
  return defined(rest);
}
