import { App, CfnParameter, CfnResource, Fn, Stack } from 'aws-cdk-lib';
import { describe, expect, test } from 'vitest';
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
  });

  test('while the app is built, when a logical ID may still change, a variable of Fn::Sub names nothing', () => {
    const { stack } = resources();

    expect(_referenceTargets(stack, Fn.sub('${Bucket}'))).toEqual([]);
  });
});
