import { CLIENT_OPTIONS } from '../args.ts';
import { renderTable } from '../render.ts';
import { printJson, runClientCommand, type Command } from './command.ts';

const list: Command = {
  path: ['node', 'list'],
  summary: 'List nodes and their agents',
  usage: 'Usage: pressluft node list [--url URL] [--state-dir DIR] [--json]',
  run(args, ctx) {
    return runClientCommand(args, ctx, { options: CLIENT_OPTIONS, usage: this.usage }, async (client, values) => {
      const nodes = await client.listNodes();
      if (values.json) printJson(ctx.out, nodes);
      else if (nodes.length === 0) ctx.out.line('No nodes.');
      else {
        const rows = nodes.map((n) => [n.name, n.status, n.agent_connected ? 'connected' : 'offline', n.hostname, n.public_ip, n.http_port, n.is_local ? 'yes' : 'no', n.last_seen_at, n.id]);
        for (const line of renderTable(['name', 'status', 'agent', 'hostname', 'ip', 'http port', 'local', 'last seen', 'id'], rows)) ctx.out.line(line);
      }
      return 0;
    });
  },
};

export const nodeCommands: Command[] = [list];
