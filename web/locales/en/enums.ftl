# Labels of the enumerations (codes as in shared/domain.md).
role-admin = Administrator
role-controller = Exercise control (BTC)
role-evaluator = Evaluator (BGK)
role-responder = Responder
role-observer = Observer

system-type-internal = Internal operations
system-type-citizen-business = Serves citizens and businesses
system-type-info-infra = Information infrastructure
system-type-ics = Industrial control
system-type-other = Other

sector-transport = Transport
sector-energy = Energy
sector-natres-env = Natural resources and environment
sector-information = Information and telecom
sector-health = Health
sector-finance = Finance
sector-banking = Banking
sector-defence = Defence
sector-security-order = Security and public order
sector-urban = Urban (Hà Nội, HCMC)
sector-gov-direction = Government direction and administration

dossier-status-drafting = Drafting
dossier-status-submitted = Submitted for appraisal
dossier-status-appraised = Appraised
dossier-status-approved = Approved

category-dos = Denial of service
category-spoofing = Spoofing / phishing
category-malware = Malware attack
category-unauth-access = Unauthorised access / takeover
category-defacement = Web defacement
category-encryption = Encryption of data or devices (ransomware)
category-destruction = Destruction of data or software
category-espionage-theft = Espionage, data theft or leak
category-combined = Combined, multi-vector attack
category-other = Other attacks
category-supply-chain = Supply-chain compromise

side-blue = Blue team (defence)
side-red = Red team (attack)

employment-in-house = In-house
employment-outsourced = Outsourced

expert-group-qlattt = Security management
expert-group-ktpt = Defence and incident handling
expert-group-ktbv = System and application protection
expert-group-ktkt = Security testing and assessment

field-of-study-it = IT
field-of-study-infosec = Information security
field-of-study-equivalent = Equivalent field

degree-postgraduate = Postgraduate
degree-bachelor = Bachelor
degree-college = College
degree-vocational = Vocational

certificate-scope-international = International certificate
certificate-scope-domestic = Domestic certificate
