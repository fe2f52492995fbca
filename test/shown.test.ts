import { CfnParameter, CfnResource, Fn, Lazy, Stack, Token } from 'aws-cdk-lib';
import { describe, expect, test } from 'vitest';
import { _shownList, _shownString } from '../src/_shown';

describe('_shownList', () => {
  test('shows literals quoted, references as the CloudFormation they become, and other tokens by what they are', () => {
    const stack = new Stack();
    const role = new CfnResource(stack, 'Role', { type: 'Custom::Role' });
    const param = new CfnParameter(stack, 'Name', { type: 'String' });

    expect(_shownList(stack, ['shop:web', role.ref, Token.asString(role.getAtt('FullName')), `shop:${param.valueAsString}`, Fn.importValue('X')]))
      .toBe('["shop:web", {"Ref":"Role"}, {"Fn::GetAtt":["Role","FullName"]}, "shop:" + {"Ref":"Name"}, (known at deploy time)]');
    expect(_shownList(stack, Fn.split(',', param.valueAsString))).toBe('(known at deploy time)');
    expect(_shownList(stack, new CfnParameter(stack, 'Names', { type: 'CommaDelimitedList' }).valueAsList)).toBe('{"Ref":"Names"}');
  });

  test('never asks a Lazy for its value, which it would keep for the template', () => {
    const stack = new Stack();
    let produced = 0;
    const lazy = Lazy.string({ produce: () => `shop:r${++produced}` });

    expect(_shownString(stack, `${lazy}-x`)).toBe('(a value resolved later, such as a Lazy) + "-x"');
    expect(produced).toBe(0);
  });
});
