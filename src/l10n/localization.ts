/**
 * The console's locale switch (@lit/localize runtime mode). English is built in; other locales are
 * loaded on demand from src/locales/. `setConsoleLocale('de')` re-renders every console on the page.
 * @lit/localize allows one configuration per page: a page that configures @lit/localize itself should
 * include these locale modules in its own loadLocale instead of calling this.
 */
import { configureLocalization, type LocaleModule } from '@lit/localize';

export const sourceLocale = 'en';
export const targetLocales = ['de', 'fr'] as const;
export type ConsoleLocale = typeof sourceLocale | (typeof targetLocales)[number];

const loaders: Record<(typeof targetLocales)[number], () => Promise<LocaleModule>> = {
  de: () => import('../locales/de.js'),
  fr: () => import('../locales/fr.js'),
};

let runtime: ReturnType<typeof configureLocalization> | null = null;

function configured(): ReturnType<typeof configureLocalization> {
  runtime ??= configureLocalization({
    sourceLocale,
    targetLocales,
    loadLocale: (locale) => loaders[locale as (typeof targetLocales)[number]](),
  });
  return runtime;
}

export function isConsoleLocale(locale: string): locale is ConsoleLocale {
  return locale === sourceLocale || (targetLocales as readonly string[]).includes(locale);
}

/**
 * Switches every console's strings to `locale` (`en`, `de`, `fr`; a region such as `de-AT` falls back to
 * its language). Throws a RangeError for a locale without translations.
 */
export async function setConsoleLocale(locale: string): Promise<void> {
  const wanted = isConsoleLocale(locale) ? locale : locale.split('-')[0]!.toLowerCase();
  if (!isConsoleLocale(wanted)) {
    throw new RangeError(`spice-console: no translation for locale "${locale}" (have ${[sourceLocale, ...targetLocales].join(', ')})`);
  }
  await configured().setLocale(wanted);
}

/** The active locale. */
export function consoleLocale(): string {
  return runtime ? runtime.getLocale() : sourceLocale;
}
