import { App } from 'aws-cdk-lib';
import { buildExample } from './example';

const app = new App();
buildExample(app);
app.synth();
