import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { AwsClient } from '../../../src/provider/handler/aws';
import { SqsSdk, _useSqsSdk } from '../../../src/provider/handler/queue';

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
      if (value === undefined) throw awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      return { SecretString: value };
    },
  };
  const ssm: AwsClient = {
    send: async (command) => {
      if (!(command instanceof GetParameterCommand)) throw new Error('unexpected command');
      commands.push({ name: 'GetParameter', input: command.input });
      const value = store.parameters?.[command.input.Name ?? ''];
      // SSM's answer has no message: the SDK's error says UnknownError.
      if (value === undefined) throw awsError('ParameterNotFound', 'UnknownError');
      return { Parameter: { Value: value } };
    },
  };
  return { secretsManager, ssm, commands };
}

/** An error as an SDK v3 client throws for a service's refusal: its name is the service's error code. */
export function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode, attempts: 1, totalRetryDelay: 0 } });
}

/**
 * A stand-in for `@aws-sdk/client-sqs` (which the Lambda runtime ships, and this package does not
 * install), put in the handler's place until `_useSqsSdk()`: it records the settings of each client
 * made and the input of each ChangeMessageVisibility, and throws what `fail` returns for it.
 */
export function fakeSqs(fail: (input: ChangeMessageVisibility) => Error | undefined = () => undefined) {
  const changes: ChangeMessageVisibility[] = [];
  const configs: object[] = [];
  const sdk: SqsSdk = {
    SQSClient: class {
      constructor(config: object) {
        configs.push(config);
      }

      async send(command: unknown) {
        const { input } = command as { input: ChangeMessageVisibility };
        const error = fail(input);
        if (error) throw error;
        changes.push(input);
        return {};
      }
    },
    ChangeMessageVisibilityCommand: class {
      constructor(public readonly input: ChangeMessageVisibility) {}
    },
  };
  _useSqsSdk(sdk);
  return { changes, configs };
}

type ChangeMessageVisibility = { QueueUrl: string; ReceiptHandle: string; VisibilityTimeout: number };
