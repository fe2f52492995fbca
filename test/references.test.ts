import { App, CfnCondition, CfnOutput, CfnParameter, CfnResource, Fn, Stack } from 'aws-cdk-lib';
import { describe, expect, test, vi } from 'vitest';
import { _readingFinalValues } from '../src/_lazy';
import { _referenceTargets } from '../src/_references';

describe('_referenceTargets', () => {
  const resources = () => {
    const stack = new Stack(new App(), 'Stack');
    const bucket = new CfnResource(stack, 'Bucket', { type: 'AWS::S3::Bucket' });
    const queue = new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue' });
    return { stack, bucket, queue };
  };

  test('a variable of Fn::Sub naming a resource of the stack by its logical ID is a reference to it, as CloudFormation orders it', () => {
    // GIVEN
    const { stack, bucket, queue } = resources();
    new CfnParameter(stack, 'Param');
    queue.overrideLogicalId('Jobs');
    // WHEN the Ref, an attribute, a pseudo parameter, a parameter, a literal ${!...} and a variable given its value, inside a string
    const value = `[${Fn.sub('${Bucket}/${Jobs.Arn}/${AWS::Region}/${Param}/${!Queue}/${Queue}/${Bucket}', { Queue: 'q', Bucket: 'b' })}]`;
    // THEN
    expect(_readingFinalValues(() => _referenceTargets(stack, value))).toEqual([queue]);
    expect(_readingFinalValues(() => _referenceTargets(stack, { key: [Fn.sub('${Bucket.Arn}')] }))).toEqual([bucket]);
    expect(_readingFinalValues(() => _referenceTargets(stack, Fn.sub('${Nothing}')))).toEqual([]);
    // CloudFormation reads a variable with blanks around its name as the name alone
    expect(_readingFinalValues(() => _referenceTargets(stack, Fn.sub('${ Bucket }/${ Jobs.Arn}')))).toEqual([bucket, queue]);
  });

  test('the stack\'s logical IDs are read once for many lookups, and read anew when one changes or a resource is added', () => {
    // GIVEN
    const { stack, bucket, queue } = resources();
    const findAll = vi.spyOn(stack.node, 'findAll');
    // WHEN many values are read, as the Fn.sub expressions of many monitors of one stack are
    const read = (value: unknown) => _readingFinalValues(() => _referenceTargets(stack, value));
    for (let i = 0; i < 5; i++) expect(read(Fn.sub('${Bucket}/${Queue.Arn}'))).toEqual([bucket, queue]);
    // THEN the walk of the stack is made once, not once per value
    expect(findAll).toHaveBeenCalledTimes(1);
    // and a logical ID given later, or a resource added later, is read as it is then
    bucket.overrideLogicalId('Store');
    const late = new CfnResource(stack, 'Late', { type: 'AWS::SQS::Queue' });
    expect(read(Fn.sub('${Bucket}/${Store}/${Late}'))).toEqual([bucket, late]);
  });

  test('a resource removed after a first lookup is no longer read, and one added in its place with its logical ID is', () => {
    // GIVEN
    const { stack, bucket } = resources();
    const read = (value: unknown) => _readingFinalValues(() => _referenceTargets(stack, value));
    expect(read(Fn.sub('${Bucket}'))).toEqual([bucket]);
    // WHEN the resource is removed, keeping its scope and so its logical ID
    stack.node.tryRemoveChild('Bucket');
    // THEN
    expect(read(Fn.sub('${Bucket}'))).toEqual([]);
    // and a resource put in its place, of the same logical ID, is the one read
    const store = new CfnResource(stack, 'Bucket', { type: 'AWS::S3::Bucket' });
    const [target, ...rest] = read(Fn.sub('${Bucket.Arn}'));
    expect(target).toBe(store);
    expect(rest).toEqual([]);
  });

  test('a variable naming a resource is a reference to it though an output or condition has the same logical ID', () => {
    // GIVEN the resource's logical ID also names an output and a condition, in their own sections of the template
    const { stack, bucket } = resources();
    new CfnOutput(stack, 'Out', { value: 'x' }).overrideLogicalId('Bucket');
    new CfnCondition(stack, 'Cond', { expression: Fn.conditionEquals('a', 'a') }).overrideLogicalId('Bucket');
    // WHEN
    const [target, ...rest] = _readingFinalValues(() => _referenceTargets(stack, Fn.sub('${Bucket}')));
    // THEN
    expect(target).toBe(bucket);
    expect(rest).toEqual([]);
  });

  test('while the app is built, when a logical ID may still change, a variable of Fn::Sub names nothing', () => {
    const { stack } = resources();

    expect(_referenceTargets(stack, Fn.sub('${Bucket}'))).toEqual([]);
  });
});
