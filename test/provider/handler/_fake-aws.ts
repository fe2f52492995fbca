import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { AwsClient } from '../../../src/provider/handler/aws';

/**
 * Stand-ins for the Secrets Manager and SSM clients: they answer from in-memory stores and
 * record each command the handler sent (the real SDK command objects).
 */
export function fakeAws(store: { secrets?: { [id: string]: string }; parameters?: { [name: string]: string } }) {
  const commands: Array<{ name: string; input: unknown }> = [];
  const secretsManager: AwsClient = {
    send: async (command) => {
      if (!(command instanceof GetSecretValueCommand)) throw new Error('unexpected command');
      commands.push({ name: 'GetSecretValue', input: command.input });
      const value = store.secrets?.[command.input.SecretId ?? ''];
      if (value === undefined) throw new Error("Secrets Manager can't find the specified secret.");
      return { SecretString: value };
    },
  };
  const ssm: AwsClient = {
    send: async (command) => {
      if (!(command instanceof GetParameterCommand)) throw new Error('unexpected command');
      commands.push({ name: 'GetParameter', input: command.input });
      const value = store.parameters?.[command.input.Name ?? ''];
      if (value === undefined) throw new Error('ParameterNotFound');
      return { Parameter: { Value: value } };
    },
  };
  return { secretsManager, ssm, commands };
}
