# Shared interface
skip-to-content = Skip to main content
footer-tagline = Prepare, run and prove cyber-security drills
nav-label = Main navigation
nav-home = Overview
nav-systems = Information systems
nav-teams = Response teams
nav-playbooks = Playbooks
nav-orgs = Organisations
lang-switch = Tiếng Việt
logout = Sign out
none = None
yes = Yes
no = No
level-short = Level

login-title = Sign in
login-intro = Sign in with the account the exercise control team gave you.
login-username = Username
login-password = Password
login-submit = Sign in
login-failed = Wrong username or password.
login-rate-limited = Too many failed attempts. Please try again in a few minutes.

home-title = Overview
home-intro = The figures an inspector asks for first: systems by security level, level-3+ systems without a current playbook, response teams below five experts.
home-totals = Totals
home-systems = Information systems
home-level3-plus = Systems of level 3 and above
home-lacking-playbook = Level 3+ without a current playbook
home-stale-playbooks = Playbooks due for review
home-teams-below = Teams below 5 experts
home-by-org = By organisation
home-empty = No data yet.
field-org = Organisation

error-title = Error
error-page-not_found = Page not found
error-page-forbidden = Your role does not allow this
error-page-bad_request = Bad request
error-page-conflict = Conflict
error-page-validation_failed = Invalid data
error-page-payload_too_large = Request too large
error-page-rate_limited = Too many requests
error-page-unauthorized = Sign-in required
error-page-internal = Internal error
error-page-back = Back to the overview

# Messages beside form fields
error-required = Required.
error-too-long = Too long.
error-too-many = Too many entries.
error-invalid = Invalid value.
error-future-date = Must not be in the future.
error-date-order = Dates are out of order.
error-stage-not-reached = The dossier has not reached this stage.
error-duplicate = Already exists.
error-invalid-reference = The selected item was not found.
error-forbidden = Not allowed.
