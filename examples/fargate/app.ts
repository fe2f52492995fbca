import { App } from 'aws-cdk-lib';
import { buildExample, optionsFromContext } from './example';

const app = new App();
buildExample(app, optionsFromContext(app));
app.synth();
