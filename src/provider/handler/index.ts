// Placeholder until the handler lands: fails every request loudly.
export async function handler(event: { ResourceType: string }): Promise<never> {
  throw new Error(`cdk-mackerel handler: resource type ${event.ResourceType} is not served yet`);
}
