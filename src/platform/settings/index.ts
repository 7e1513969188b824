/** Typed settings for a module's own configuration section; re-exported by platform/bus. */
export {
  defineSettings,
  InjectSettings,
  type ModuleSettings,
  type SettingsReader,
} from './module-settings.js';
export {
  BooleanSetting,
  ChoiceSetting,
  CredentialSetting,
  IntegerSetting,
  ListSetting,
  missingSettings,
  readSettings,
  SectionSetting,
  TextSetting,
  UrlSetting,
  type SettingsClass,
} from './setting.decorators.js';
