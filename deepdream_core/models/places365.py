"""The 365 scene classes of Places365, in the order of the Places365 networks' logits.

From ``categories_places365.txt`` of the Places365 release (CSAILVision/places365, MIT License, Copyright (c)
2017 Bolei Zhou and MIT CSAIL Computer Vision), written as words: ``/a/apartment_building/outdoor`` is
"apartment building (outdoor)". No name holds a comma, which class targets read as a list of synonyms.
"""

from __future__ import annotations

# fmt: off
PLACES365_CLASSES = (
    "airfield", "airplane cabin", "airport terminal", "alcove", "alley", "amphitheater", "amusement arcade",
    "amusement park", "apartment building (outdoor)", "aquarium", "aqueduct", "arcade", "arch",
    "archaelogical excavation", "archive", "arena (hockey)", "arena (performance)", "arena (rodeo)", "army base",
    "art gallery", "art school", "art studio", "artists loft", "assembly line", "athletic field (outdoor)",
    "atrium (public)", "attic", "auditorium", "auto factory", "auto showroom", "badlands", "bakery (shop)",
    "balcony (exterior)", "balcony (interior)", "ball pit", "ballroom", "bamboo forest", "bank vault",
    "banquet hall", "bar", "barn", "barndoor", "baseball field", "basement", "basketball court (indoor)",
    "bathroom", "bazaar (indoor)", "bazaar (outdoor)", "beach", "beach house", "beauty salon", "bedchamber",
    "bedroom", "beer garden", "beer hall", "berth", "biology laboratory", "boardwalk", "boat deck", "boathouse",
    "bookstore", "booth (indoor)", "botanical garden", "bow window (indoor)", "bowling alley", "boxing ring",
    "bridge", "building facade", "bullring", "burial chamber", "bus interior", "bus station (indoor)",
    "butchers shop", "butte", "cabin (outdoor)", "cafeteria", "campsite", "campus", "canal (natural)",
    "canal (urban)", "candy store", "canyon", "car interior", "carrousel", "castle", "catacomb", "cemetery",
    "chalet", "chemistry lab", "childs room", "church (indoor)", "church (outdoor)", "classroom", "clean room",
    "cliff", "closet", "clothing store", "coast", "cockpit", "coffee shop", "computer room", "conference center",
    "conference room", "construction site", "corn field", "corral", "corridor", "cottage", "courthouse",
    "courtyard", "creek", "crevasse", "crosswalk", "dam", "delicatessen", "department store", "desert (sand)",
    "desert (vegetation)", "desert road", "diner (outdoor)", "dining hall", "dining room", "discotheque",
    "doorway (outdoor)", "dorm room", "downtown", "dressing room", "driveway", "drugstore", "elevator (door)",
    "elevator lobby", "elevator shaft", "embassy", "engine room", "entrance hall", "escalator (indoor)",
    "excavation", "fabric store", "farm", "fastfood restaurant", "field (cultivated)", "field (wild)", "field road",
    "fire escape", "fire station", "fishpond", "flea market (indoor)", "florist shop (indoor)", "food court",
    "football field", "forest (broadleaf)", "forest path", "forest road", "formal garden", "fountain", "galley",
    "garage (indoor)", "garage (outdoor)", "gas station", "gazebo (exterior)", "general store (indoor)",
    "general store (outdoor)", "gift shop", "glacier", "golf course", "greenhouse (indoor)", "greenhouse (outdoor)",
    "grotto", "gymnasium (indoor)", "hangar (indoor)", "hangar (outdoor)", "harbor", "hardware store", "hayfield",
    "heliport", "highway", "home office", "home theater", "hospital", "hospital room", "hot spring",
    "hotel (outdoor)", "hotel room", "house", "hunting lodge (outdoor)", "ice cream parlor", "ice floe",
    "ice shelf", "ice skating rink (indoor)", "ice skating rink (outdoor)", "iceberg", "igloo", "industrial area",
    "inn (outdoor)", "islet", "jacuzzi (indoor)", "jail cell", "japanese garden", "jewelry shop", "junkyard",
    "kasbah", "kennel (outdoor)", "kindergarden classroom", "kitchen", "lagoon", "lake (natural)", "landfill",
    "landing deck", "laundromat", "lawn", "lecture room", "legislative chamber", "library (indoor)",
    "library (outdoor)", "lighthouse", "living room", "loading dock", "lobby", "lock chamber", "locker room",
    "mansion", "manufactured home", "market (indoor)", "market (outdoor)", "marsh", "martial arts gym", "mausoleum",
    "medina", "mezzanine", "moat (water)", "mosque (outdoor)", "motel", "mountain", "mountain path",
    "mountain snowy", "movie theater (indoor)", "museum (indoor)", "museum (outdoor)", "music studio",
    "natural history museum", "nursery", "nursing home", "oast house", "ocean", "office", "office building",
    "office cubicles", "oilrig", "operating room", "orchard", "orchestra pit", "pagoda", "palace", "pantry", "park",
    "parking garage (indoor)", "parking garage (outdoor)", "parking lot", "pasture", "patio", "pavilion",
    "pet shop", "pharmacy", "phone booth", "physics laboratory", "picnic area", "pier", "pizzeria", "playground",
    "playroom", "plaza", "pond", "porch", "promenade", "pub (indoor)", "racecourse", "raceway", "raft",
    "railroad track", "rainforest", "reception", "recreation room", "repair shop", "residential neighborhood",
    "restaurant", "restaurant kitchen", "restaurant patio", "rice paddy", "river", "rock arch", "roof garden",
    "rope bridge", "ruin", "runway", "sandbox", "sauna", "schoolhouse", "science museum", "server room", "shed",
    "shoe shop", "shopfront", "shopping mall (indoor)", "shower", "ski resort", "ski slope", "sky", "skyscraper",
    "slum", "snowfield", "soccer field", "stable", "stadium (baseball)", "stadium (football)", "stadium (soccer)",
    "stage (indoor)", "stage (outdoor)", "staircase", "storage room", "street", "subway station (platform)",
    "supermarket", "sushi bar", "swamp", "swimming hole", "swimming pool (indoor)", "swimming pool (outdoor)",
    "synagogue (outdoor)", "television room", "television studio", "temple (asia)", "throne room", "ticket booth",
    "topiary garden", "tower", "toyshop", "train interior", "train station (platform)", "tree farm", "tree house",
    "trench", "tundra", "underwater (ocean deep)", "utility room", "valley", "vegetable garden",
    "veterinarians office", "viaduct", "village", "vineyard", "volcano", "volleyball court (outdoor)",
    "waiting room", "water park", "water tower", "waterfall", "watering hole", "wave", "wet bar", "wheat field",
    "wind farm", "windmill", "yard", "youth hostel", "zen garden",
)
# fmt: on


def places365_class_names() -> list[str]:
    """The class names in logit order, as a spec's ``class_names`` gives them."""
    return list(PLACES365_CLASSES)
