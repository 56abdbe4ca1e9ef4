// The types of .dependency-cruiser.mjs, for the test that runs its rules (test/architecture/).
import type { IConfiguration, ICruiseOptions, IForbiddenRuleType } from 'dependency-cruiser';
declare const config: IConfiguration & { forbidden: IForbiddenRuleType[]; options: ICruiseOptions & { tsConfig: { fileName: string } } };
export default config;
