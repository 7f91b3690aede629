// Resource names, derived in one place (docs/deploy.md "Names"). azd accepts environment names
// of letters, digits and - _ . ( ) up to 64 characters; most resource types accept fewer
// characters and shorter names. Every name the deployment makes goes through these functions:
// lower case, letters, digits and hyphens only, cut to the length limit of its type. A name
// made of plain letters, digits and hyphens comes out unchanged (existing deployments keep
// their names).

@export()
@description('A value as a name part: lower case, with _ . ( ) and spaces turned into hyphens.')
func nameSafe(value string) string =>
  toLower(replace(replace(replace(replace(replace(trim(value), '_', '-'), '.', '-'), '(', '-'), ')', '-'), ' ', '-'))

@export()
@description('prefix-part[-suffix], at most maxLength characters. The suffix (alphanumeric at its end) is kept whole, so a cut never leaves a trailing hyphen.')
func resourceName(prefix string, part string, suffix string, maxLength int) string =>
  empty(suffix)
    ? take('${prefix}-${nameSafe(part)}', maxLength)
    : '${take('${prefix}-${nameSafe(part)}', maxLength - length(suffix) - 1)}-${suffix}'

@export()
@description('prefix + part with letters and digits only (storage accounts), at most maxLength characters.')
func compactName(prefix string, part string, maxLength int) string =>
  take(replace('${prefix}${nameSafe(part)}', '-', ''), maxLength)
