"""Hard-coded vocabularies the sample generator draws from.

Everything here is plain data (tuples, never sets, so iteration order is fixed).
Codes are real: INSEE commune codes and postcodes, ISO 3166 alpha-2 countries,
OECD DAC 5-digit sectors, IATI region codes, INSEE legal categories, NAF codes.
Names of organisations and people are invented from word lists.
"""

from __future__ import annotations

YEARS: tuple[int, ...] = tuple(range(2015, 2026))

# The attributing authority (SIRET is Luhn-valid; the test checks it).
REGION_NAME = "Région Auvergne-Rhône-Alpes"
REGION_SIRET = "20005376700014"
REGION_IATI_REF = f"FR-SIRET-{REGION_SIRET}"

# Grants budget per year (EUR, scale 1): dip in 2020, rise from 2022.
GRANT_BUDGET_EUR: dict[int, float] = {
    2015: 9_600_000, 2016: 9_700_000, 2017: 9_800_000, 2018: 9_900_000,
    2019: 10_000_000, 2020: 9_200_000, 2021: 9_700_000, 2022: 10_400_000,
    2023: 10_200_000, 2024: 10_300_000, 2025: 10_100_000,
}

# (dispositifAide, share of the budget, typical amount EUR, has a project abroad)
PROGRAMMES: tuple[tuple[str, float, float, bool], ...] = (
    ("Coopération décentralisée", 0.34, 60_000, True),
    ("Soutien aux projets des ONG", 0.36, 24_000, True),
    ("Commerce équitable", 0.07, 12_000, False),
    ("Jeunesse solidaire", 0.06, 3_500, True),
    ("Fonds d'urgence", 0.10, 40_000, True),
    ("Éducation à la citoyenneté mondiale", 0.07, 9_000, False),
)

# Annual average EUR->USD (ECB reference rates, rounded) for the few USD-reported activities.
USD_PER_EUR: dict[int, float] = {
    2015: 1.110, 2016: 1.107, 2017: 1.130, 2018: 1.181, 2019: 1.120, 2020: 1.142,
    2021: 1.183, 2022: 1.053, 2023: 1.081, 2024: 1.082, 2025: 1.130,
}
XOF_PER_EUR = 655.957  # fixed peg

# Communes: (INSEE code, postcode, name). Lyon is given by arrondissement, as SIRENE does.
COMMUNES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "01": (
        ("01053", "01000", "Bourg-en-Bresse"), ("01004", "01500", "Ambérieu-en-Bugey"),
        ("01283", "01100", "Oyonnax"), ("01173", "01170", "Gex"),
    ),
    "03": (
        ("03190", "03000", "Moulins"), ("03185", "03100", "Montluçon"), ("03310", "03200", "Vichy"),
    ),
    "07": (
        ("07186", "07000", "Privas"), ("07010", "07100", "Annonay"), ("07019", "07200", "Aubenas"),
    ),
    "15": (("15014", "15000", "Aurillac"), ("15187", "15100", "Saint-Flour")),
    "26": (
        ("26362", "26000", "Valence"), ("26198", "26200", "Montélimar"),
        ("26281", "26100", "Romans-sur-Isère"), ("26058", "26500", "Bourg-lès-Valence"),
    ),
    "38": (
        ("38185", "38000", "Grenoble"), ("38151", "38130", "Échirolles"),
        ("38421", "38400", "Saint-Martin-d'Hères"), ("38544", "38200", "Vienne"),
        ("38563", "38500", "Voiron"), ("38053", "38300", "Bourgoin-Jallieu"),
        ("38229", "38240", "Meylan"), ("38169", "38600", "Fontaine"),
        ("38382", "38120", "Saint-Égrève"),
    ),
    "42": (
        ("42218", "42000", "Saint-Étienne"), ("42187", "42300", "Roanne"),
        ("42095", "42700", "Firminy"), ("42207", "42400", "Saint-Chamond"),
        ("42147", "42600", "Montbrison"),
    ),
    "43": (
        ("43157", "43000", "Le Puy-en-Velay"), ("43040", "43100", "Brioude"),
        ("43268", "43200", "Yssingeaux"),
    ),
    "63": (
        ("63113", "63000", "Clermont-Ferrand"), ("63300", "63200", "Riom"),
        ("63430", "63300", "Thiers"), ("63075", "63400", "Chamalières"),
        ("63178", "63500", "Issoire"), ("63014", "63170", "Aubière"),
    ),
    "69": (
        ("69381", "69001", "Lyon 1er Arrondissement"), ("69382", "69002", "Lyon 2e Arrondissement"),
        ("69383", "69003", "Lyon 3e Arrondissement"), ("69384", "69004", "Lyon 4e Arrondissement"),
        ("69385", "69005", "Lyon 5e Arrondissement"), ("69386", "69006", "Lyon 6e Arrondissement"),
        ("69387", "69007", "Lyon 7e Arrondissement"), ("69388", "69008", "Lyon 8e Arrondissement"),
        ("69389", "69009", "Lyon 9e Arrondissement"), ("69266", "69100", "Villeurbanne"),
        ("69259", "69200", "Vénissieux"), ("69264", "69400", "Villefranche-sur-Saône"),
        ("69034", "69300", "Caluire-et-Cuire"), ("69029", "69500", "Bron"),
        ("69290", "69800", "Saint-Priest"), ("69256", "69120", "Vaulx-en-Velin"),
        ("69091", "69700", "Givors"), ("69081", "69130", "Écully"),
    ),
    "73": (
        ("73065", "73000", "Chambéry"), ("73008", "73100", "Aix-les-Bains"),
        ("73011", "73200", "Albertville"), ("73054", "73700", "Bourg-Saint-Maurice"),
    ),
    "74": (
        ("74010", "74000", "Annecy"), ("74012", "74100", "Annemasse"),
        ("74281", "74200", "Thonon-les-Bains"), ("74056", "74400", "Chamonix-Mont-Blanc"),
        ("74256", "74700", "Sallanches"), ("74081", "74300", "Cluses"),
    ),
}

# Share of organisations per département (RESACOOP: Rhône 758, Isère 367, Savoie 300 of ~2,500).
DEPARTEMENT_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("69", 30), ("38", 15), ("73", 9), ("74", 9), ("63", 8), ("42", 7),
    ("26", 6), ("01", 5), ("07", 3.5), ("03", 3), ("43", 2.5), ("15", 2),
)

# Partner countries: (ISO alpha-2, French name, weight). 72 countries.
COUNTRIES: tuple[tuple[str, str, float], ...] = (
    ("SN", "Sénégal", 30), ("BF", "Burkina Faso", 28), ("ML", "Mali", 16), ("NE", "Niger", 12),
    ("BJ", "Bénin", 18), ("TG", "Togo", 14), ("CI", "Côte d'Ivoire", 12), ("GN", "Guinée", 10),
    ("MR", "Mauritanie", 6), ("GH", "Ghana", 3), ("CV", "Cap-Vert", 3), ("GW", "Guinée-Bissau", 2),
    ("TD", "Tchad", 5), ("NG", "Nigeria", 2), ("GM", "Gambie", 2),
    ("CM", "Cameroun", 12), ("CD", "République démocratique du Congo", 8), ("CG", "Congo", 4),
    ("CF", "Centrafrique", 3), ("GA", "Gabon", 2), ("RW", "Rwanda", 4), ("BI", "Burundi", 4),
    ("MG", "Madagascar", 16), ("KM", "Comores", 4), ("ET", "Éthiopie", 4), ("KE", "Kenya", 3),
    ("TZ", "Tanzanie", 3), ("UG", "Ouganda", 3), ("MZ", "Mozambique", 3), ("ZA", "Afrique du Sud", 2),
    ("MU", "Maurice", 1.5), ("DJ", "Djibouti", 2),
    ("MA", "Maroc", 14), ("TN", "Tunisie", 12), ("DZ", "Algérie", 6), ("EG", "Égypte", 3),
    ("LB", "Liban", 12), ("PS", "Palestine", 10), ("JO", "Jordanie", 4), ("SY", "Syrie", 4),
    ("IQ", "Irak", 3), ("TR", "Turquie", 2),
    ("VN", "Vietnam", 12), ("KH", "Cambodge", 10), ("LA", "Laos", 8), ("IN", "Inde", 8),
    ("NP", "Népal", 6), ("BD", "Bangladesh", 4), ("PH", "Philippines", 3), ("LK", "Sri Lanka", 3),
    ("MM", "Myanmar", 2), ("AF", "Afghanistan", 2), ("MN", "Mongolie", 2), ("ID", "Indonésie", 2),
    ("CN", "Chine", 2),
    ("AM", "Arménie", 8), ("UA", "Ukraine", 6), ("GE", "Géorgie", 3), ("MD", "Moldavie", 4),
    ("AL", "Albanie", 2), ("BA", "Bosnie-Herzégovine", 2),
    ("HT", "Haïti", 14), ("CO", "Colombie", 6), ("BO", "Bolivie", 6), ("PE", "Pérou", 6),
    ("EC", "Équateur", 3), ("BR", "Brésil", 5), ("NI", "Nicaragua", 3), ("GT", "Guatemala", 3),
    ("MX", "Mexique", 2), ("CU", "Cuba", 2), ("AR", "Argentine", 1.5), ("PY", "Paraguay", 1.5),
)

# Emergency-fund focus per year (real disasters and conflicts of that year).
EMERGENCIES: dict[int, tuple[str, ...]] = {
    2015: ("NP",), 2016: ("HT", "SY"), 2017: ("SY", "MM"), 2018: ("ID", "SY"),
    2019: ("MZ", "LB"), 2020: ("LB", "BF"), 2021: ("HT", "AF"), 2022: ("UA",),
    2023: ("MA", "TR", "SY"), 2024: ("PS", "LB"), 2025: ("MM", "UA"),
}

# IATI regions used instead of countries by a few activities (code, vocabulary 1).
REGIONS: tuple[str, ...] = ("289", "298", "489", "589", "789")

# OECD DAC 5-digit sectors per programme (all present in the IATI Sector codelist).
SECTORS: dict[str, tuple[str, ...]] = {
    "Coopération décentralisée": (
        "15112", "15150", "14030", "31120", "43040", "11220", "12220", "32130", "41010",
        "43030", "23210", "16010",
    ),
    "Soutien aux projets des ONG": (
        "14030", "11220", "12220", "31120", "31161", "15170", "11330", "15150", "32130",
        "12240", "41010", "15160",
    ),
    "Jeunesse solidaire": ("99820", "11231", "16010", "11220", "15150", "41010"),
    "Fonds d'urgence": ("72010", "72040", "74020", "12220"),
}

ORG_TYPES: tuple[str, ...] = (
    "ong", "commerce_equitable", "cooperative", "collectivite",
    "etablissement_scolaire", "entreprise", "fondation", "autre",
)

# Event types: the enum of data/schemas/events.schema.json, with their usual frequency.
EVENT_TYPES: tuple[tuple[str, float], ...] = (
    ("conference", 16), ("projection", 14), ("exposition", 10), ("atelier", 18),
    ("concert", 8), ("repas", 10), ("marche_equitable", 5), ("intervention_scolaire", 14), ("autre", 5),
)

# Festisol / Semaine de la solidarité internationale windows (first and last day).
FESTISOL_WINDOWS: dict[int, tuple[str, str]] = {
    2015: ("2015-11-14", "2015-11-22"), 2016: ("2016-11-12", "2016-11-20"),
    2017: ("2017-11-17", "2017-12-03"), 2018: ("2018-11-16", "2018-12-02"),
    2019: ("2019-11-15", "2019-12-01"), 2020: ("2020-11-13", "2020-11-29"),
    2021: ("2021-11-12", "2021-11-28"), 2022: ("2022-11-18", "2022-12-04"),
    2023: ("2023-11-17", "2023-12-03"), 2024: ("2024-11-15", "2024-12-01"),
    2025: ("2025-11-14", "2025-11-30"),
}

# Events per year at scale 1 (2020: lockdown during the festival).
EVENTS_PER_YEAR: dict[int, int] = {
    2015: 2100, 2016: 2250, 2017: 2400, 2018: 2550, 2019: 2700, 2020: 1400,
    2021: 2600, 2022: 3000, 2023: 3300, 2024: 3600, 2025: 3850,
}

# --- word lists for invented names -------------------------------------------------
NGO_HEADS = (
    "Solidarité", "Échanges", "Partage", "Entraide", "Coopération", "Avenir", "Horizons",
    "Passerelles", "Terre", "Eau", "Santé", "Écoles", "Enfance", "Femmes", "Jeunesse",
    "Agir", "Alliance", "Initiatives", "Graines", "Racines",
)
NGO_TAILS = (
    "Sans Frontières", "Nord-Sud", "Solidaire", "et Développement", "du Monde", "pour Tous",
    "Partagée", "Internationale", "en Action", "et Territoires", "Durable", "Citoyenne",
)
PARTNER_TOWNS = (
    "Koudougou", "Ziguinchor", "Kaolack", "Thiès", "Ségou", "Kayes", "Mopti", "Dosso", "Zinder",
    "Parakou", "Abomey", "Kpalimé", "Sokodé", "Bouaké", "Korhogo", "Kindia", "Dschang",
    "Bafoussam", "Antsirabe", "Fianarantsoa", "Jacmel", "Jérémie", "Saïda", "Hué",
    "Battambang", "Luang Prabang", "Tarija", "Cusco", "Ayacucho", "Gyumri", "Tchernihiv",
    "Essaouira", "Kairouan", "Bobo-Dioulasso", "Ouahigouya", "Tambacounda",
)
FAIR_TRADE_NAMES = (
    "Artisans du Monde", "Alter Eco", "Épicerie équitable", "Café solidaire", "Comptoir équitable",
    "Boutique Terre d'ici et d'ailleurs", "Collectif Commerce équitable",
)
COOP_NAMES = ("Scop", "Coopérative", "SCIC", "Biocoop")
COMPANY_WORDS = ("Conseil", "Ingénierie", "Études", "Solutions", "Développement", "Services")
SCHOOL_KINDS = ("Lycée", "Collège", "Lycée professionnel", "Lycée agricole")
SCHOOL_PATRONS = (
    "Jean Moulin", "Marie Curie", "Victor Hugo", "Jules Ferry", "Louise Michel", "Jean Jaurès",
    "Simone Veil", "Albert Camus", "George Sand", "Aimé Césaire", "Germaine Tillion",
    "Léopold Sédar Senghor", "Condorcet", "Jacques Prévert", "Lucie Aubrac",
)
FOUNDATION_WORDS = ("Fondation", "Fonds de dotation")
OTHER_NAMES = (
    "Maison des solidarités", "Centre social", "MJC", "Université populaire", "Comité des fêtes",
    "Club de football", "Université", "Centre hospitalier",
)
FIRST_NAMES = (
    "Camille", "Léa", "Hugo", "Inès", "Lucas", "Manon", "Yanis", "Chloé", "Nathan", "Sarah",
    "Théo", "Emma", "Amina", "Karim", "Louise", "Mathis", "Jade", "Enzo", "Zoé", "Noah",
)
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "Diallo", "Nguyen",
    "Fontaine", "Chevalier", "Roux",
)
PROJECT_THEMES: dict[str, tuple[str, ...]] = {
    "Coopération décentralisée": (
        "Appui à la gouvernance locale", "Accès à l'eau potable et à l'assainissement",
        "Développement de filières agricoles", "Gestion des déchets urbains",
        "Formation des élus et agents territoriaux", "Électrification rurale solaire",
    ),
    "Soutien aux projets des ONG": (
        "Construction et équipement d'écoles", "Santé maternelle et infantile",
        "Maraîchage et sécurité alimentaire", "Autonomisation économique des femmes",
        "Formation professionnelle des jeunes", "Forages et comités de gestion de l'eau",
        "Défense des droits humains",
    ),
    "Commerce équitable": (
        "Campagne de promotion du commerce équitable", "Structuration d'une filière équitable locale",
        "Quinzaine du commerce équitable", "Territoire de commerce équitable",
    ),
    "Jeunesse solidaire": (
        "Chantier de jeunes solidaires", "Projet de solidarité internationale de jeunes",
        "Volontariat de réciprocité", "Échange interculturel de jeunes",
    ),
    "Fonds d'urgence": (
        "Aide d'urgence aux populations sinistrées", "Distribution alimentaire d'urgence",
        "Abris et biens de première nécessité", "Soins d'urgence et kits d'hygiène",
    ),
    "Éducation à la citoyenneté mondiale": (
        "Festival des Solidarités", "Interventions en milieu scolaire",
        "Exposition itinérante sur les migrations", "Ciné-débats sur les objectifs de développement durable",
    ),
}
INDICATORS: tuple[tuple[str, str], ...] = (
    ("Accès à l'eau amélioré", "Nombre de personnes ayant accès à l'eau potable"),
    ("Scolarisation", "Nombre d'enfants scolarisés"),
    ("Formation", "Nombre de personnes formées"),
    ("Revenus agricoles", "Nombre d'exploitations accompagnées"),
    ("Santé", "Nombre de consultations prénatales"),
    ("Gouvernance locale", "Nombre d'agents territoriaux formés"),
)
EVENT_TITLES: dict[str, tuple[str, ...]] = {
    "conference": ("Conférence-débat : {topic}", "Table ronde : {topic}"),
    "projection": ("Ciné-débat : {topic}", "Projection du documentaire « {topic} »"),
    "exposition": ("Exposition « {topic} »", "Exposition photo : regards sur le {country}"),
    "atelier": ("Atelier cuisine du monde", "Atelier jeux coopératifs", "Atelier : {topic}"),
    "concert": ("Concert solidaire", "Conte et musique du {country}", "Scène ouverte : {topic}"),
    "repas": ("Repas solidaire aux saveurs du {country}", "Petit-déjeuner équitable"),
    "marche_equitable": ("Marché équitable et solidaire", "Marché des producteurs équitables"),
    "intervention_scolaire": ("Intervention en classe : {topic}", "Jeu de rôle : {topic}"),
    "autre": ("Village des solidarités", "Marche solidaire pour l'eau", "Soirée d'échanges"),
}
EVENT_TOPICS = (
    "l'accès à l'eau", "les migrations", "le climat et les inégalités", "le commerce équitable",
    "les droits des femmes", "la souveraineté alimentaire", "les objectifs de développement durable",
    "la paix", "l'éducation pour toutes et tous", "la santé mondiale",
)
PLACES = (
    "Salle des fêtes", "Médiathèque", "Maison des associations", "Centre social", "MJC",
    "Salle polyvalente", "Cinéma municipal", "Hôtel de ville", "Espace culturel",
)
