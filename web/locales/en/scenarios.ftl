# Drill scenarios: the library, the editor, file upload and spreadsheet (MSEL) import.

nav-scenarios = Scenarios

## Library
scenarios-title = Scenario library
scenarios-intro = The scenarios shipped with the software and those your organisation built. Every save is a new version; every drill records the exact version it ran.
scenarios-count = { $count } scenarios
scenarios-empty = No scenario matches the filters.
scenarios-filter-level = Suits systems of level
origin-shipped = Shipped
origin-user = Own

## Fields
scenario-field-id = Scenario id
scenario-field-title = Title
scenario-field-title-vi = Title (Vietnamese)
scenario-field-title-en = Title (English)
scenario-field-summary-vi = Summary (Vietnamese)
scenario-field-summary-en = Summary (English)
scenario-field-category = Incident category
scenario-field-min-level = Minimum level
scenario-field-drill-kinds = Drill kinds
scenario-field-duration = Duration
scenario-field-techniques = Attack techniques (MITRE ATT&CK)
scenario-field-objectives = Objectives
scenario-field-origin = Origin
scenario-field-version = Version
scenario-field-injects = Injects

## Scenario page
scenario-title = Drill scenario
scenario-summary = Summary
scenario-facts = Facts
scenario-timeline = Inject timeline
scenario-timeline-caption = Across: time since the start of the drill (planned duration { $duration }); one row per audience.
scenario-timeline-empty = No scheduled inject to show yet.
scenario-manual-injects = Released by hand
scenario-injects = Injects
scenario-expectations = Expected of the team
scenario-versions = Version history
scenario-saved-at = Saved at
scenario-current = Current
scenario-export = Export
scenario-export-toml = Export TOML
scenario-export-csv = Export CSV
scenario-export-xlsx = Export Excel
scenario-old-version = You are looking at version { $shown }; the current version is { $current }.
scenario-show-current = Show the current version
scenario-shipped-note = Shipped scenarios are updated through their files in the software's scenarios/ folder, not edited here.
inject-manual = By hand
inject-show-body = Show the text
inject-playbook-step = Playbook step { $step }
inject-points = { $points } points

## Audiences, channels, expectations, drill kinds
audience-all = Everyone
audience-blue = Blue team
audience-red = Red team
audience-controllers = Organisers
audience-team = Team { $slot }
audience-team-any = Named team
channel-soc-alert = SOC alert
channel-email = Email
channel-phone-call = Phone call
channel-news = News
channel-ticket = Ticket
channel-situation-update = Situation update
expect-detect = Detect
expect-acknowledge = Acknowledge
expect-report = Report
expect-contain = Contain
expect-manual = Judged by the organisers
drill-kind-live-fire = Live-fire drill
drill-kind-tabletop = Tabletop exercise
drill-kind-functional = Functional drill

## Editor
scenario-new-title = New scenario
scenario-edit-title = Edit scenario
scenario-form-intro = Fill in the scenario and its injects. “Check” applies the scenario file rules without saving; “Save” stores a new version.
scenario-edit-creates-version = Saving stores a new version; version { $current } stays as it is.
scenario-check-ok = The scenario is valid. Press “Save” to store it.
scenario-problems-heading = The scenario has { $count } problem(s) to fix:
scenario-place-scenario = Scenario
scenario-place-objective = Objective { $n }
scenario-place-inject = Inject { $n }
scenario-general = General
scenario-id-hint = Lowercase letters, digits and hyphens, e.g. ransomware-public-portal. Cannot change after saving.
scenario-duration-hint = Hours:minutes:seconds, e.g. 02:00:00.
scenario-techniques-hint = ATT&CK ids separated by commas, e.g. T1566.001, T1486.
scenario-objectives-hint = Write each objective in both languages; empty rows are skipped.
scenario-objective-vi = Objective (Vietnamese)
scenario-objective-en = Objective (English)
scenario-injects-hint = An inject is released at its time after the start of the drill, or by the organisers by hand. Moving, removing and adding rows only changes the form; nothing is saved.
scenario-inject-n = Inject { $n }
scenario-move-up = Move up
scenario-move-down = Move down
scenario-remove = Remove inject
scenario-add-inject = Add an inject
scenario-action-check = Check
scenario-save-version = Save a new version
inject-field-key = Inject id
inject-field-offset = Release time
inject-offset-hint = After the start, as +hours:minutes:seconds, e.g. +00:30:00.
inject-field-manual = Released by the organisers by hand
inject-field-audience = Audience
inject-field-channel = Channel
inject-field-title = Title
inject-field-title-vi = Title (Vietnamese)
inject-field-title-en = Title (English)
inject-field-body-vi = Text (Vietnamese)
inject-field-body-en = Text (English)
inject-field-playbook = Playbook
inject-field-playbook-step = Playbook step
exp-field-kind = Expectation
exp-field-target = Target time
exp-field-points = Points
exp-field-technique = Technique to detect
exp-field-description = Description
exp-field-desc-vi = Description (Vietnamese)
exp-field-desc-en = Description (English)

## Upload a scenario file
scenario-upload-title = Upload a scenario file
scenario-upload-intro = Choose a TOML scenario file (described in scenarios/README.md). A valid file is stored as a new scenario, or as a new version when your organisation already has a scenario with that id.
scenario-upload-file = Scenario file (.toml)
scenario-upload-submit = Upload and save
scenario-upload-problems = { $file } has { $count } problem(s); nothing was saved:

## Spreadsheet import
scenario-import-title = Import a spreadsheet (MSEL)
scenario-import-intro = Choose a CSV or Excel (.xlsx) MSEL. The next step lets you say which column holds which field before importing.
scenario-import-file = CSV or Excel file
scenario-import-metadata-from = Take the general information from
scenario-import-metadata-hint = For sheets that list only injects, without the scenario's general information.
scenario-import-next = Continue
scenario-import-problems = The spreadsheet has { $count } problem(s); nothing was imported:
scenario-mapping-title = Map columns to fields
scenario-mapping-intro = { $file }: { $rows } inject rows. Check which column feeds which field (suggested from the headers), preview, then import.
scenario-mapping-sheet = sheet “{ $sheet }”
scenario-mapping-no-metadata = The spreadsheet has no general scenario information: choose a scenario to take it from.
scenario-mapping-header-row = Header row
scenario-mapping-columns = Columns of the spreadsheet
scenario-mapping-header = Column header
scenario-mapping-field = Field
scenario-mapping-ignore = — Ignore this column —
scenario-mapping-first-rows = First rows
scenario-mapping-row = Row
scenario-mapping-preview = Preview
scenario-mapping-import = Import the scenario
msel-field-key = Inject id
msel-field-offset = Release time
msel-field-audience = Audience
msel-field-channel = Channel
msel-field-title-vi = Title (Vietnamese)
msel-field-title-en = Title (English)
msel-field-body-vi = Text (Vietnamese)
msel-field-body-en = Text (English)
msel-field-playbook-category = Playbook incident category
msel-field-playbook-step = Playbook step
msel-field-exp-kind = Expectation { $n }: kind
msel-field-exp-target = Expectation { $n }: target time
msel-field-exp-points = Expectation { $n }: points
msel-field-exp-technique = Expectation { $n }: technique
msel-field-exp-desc-vi = Expectation { $n }: description (Vietnamese)
msel-field-exp-desc-en = Expectation { $n }: description (English)
