"""Words the demo market is written in: shop banners, streets, people (all made up)."""

from __future__ import annotations

# Banners are invented; none is a real chain.
BANNERS = {
    "hypermarket": ("Hyper Cèdre", "Grand Panier", "Hypermarché Horizon", "MaxiMarché"),
    "supermarket": ("Super Cèdre", "Marché Horizon", "Le Panier Lyonnais", "Super Frais"),
    "convenience": ("Cèdre City", "Horizon Express", "Panier Minute", "Proxi Frais", "Mini Mag"),
    "traditional_trade": (
        "Épicerie",
        "Alimentation",
        "Alimentation Générale",
        "Épicerie Fine",
        "Primeur",
    ),
    "horeca": ("Café", "Bar-Tabac", "Bouchon", "Brasserie", "Le Comptoir", "Bistrot"),
    "other": ("Kiosque", "Cave", "Boulangerie", "Tabac-Presse", "Relais"),
}
# Shops named after their owner or their street rather than a banner and a place.
BY_OWNER = frozenset({"traditional_trade", "horeca", "other"})

# Streets of Lyon itself, then names found in every French town.
LYON_STREETS = (
    "rue de la République", "cours Lafayette", "rue Garibaldi", "avenue Berthelot",
    "rue Paul Bert", "rue du Président Édouard Herriot", "rue de Marseille",
    "grande rue de la Croix-Rousse", "rue Marietton", "avenue des Frères Lumière",
    "rue Duguesclin", "cours Gambetta", "rue Saint-Jean", "quai Saint-Vincent", "rue Vendôme",
    "avenue Jean Mermoz", "rue du Bourbonnais", "montée de Choulans", "rue Servient",
    "avenue de Saxe", "rue de Créqui", "boulevard des Belges", "rue Tronchet", "rue Mercière",
    "boulevard de la Croix-Rousse", "rue de la Charité", "avenue Félix Faure",
    "rue Juliette Récamier",
)  # fmt: skip
STREETS = (
    "avenue Jean Jaurès", "rue Victor Hugo", "cours Émile Zola", "rue Pasteur",
    "route de Vienne", "avenue Franklin Roosevelt", "rue Anatole France",
    "avenue Charles de Gaulle", "rue de la Gare", "rue Dedieu", "avenue Henri Barbusse",
    "rue Francis de Pressensé", "route de Genas", "rue Louis Braille", "avenue Roger Salengro",
    "rue Jules Guesde", "avenue de la Libération", "rue du Stade", "place du Marché",
    "rue des Écoles", "chemin des Vignes", "rue du Moulin", "avenue du 8 Mai 1945",
    "rue Jean Moulin", "boulevard Pinel", "rue de la Mairie", "grande rue", "rue du Commerce",
    "avenue de la République", "rue Gabriel Péri",
)  # fmt: skip

SURNAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert",
    "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc",
    "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clément",
    "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson", "Benali",
    "Nguyen", "Da Silva", "Haddad", "Ferreira", "Rossi", "Mansouri", "Tran", "Lacroix",
)  # fmt: skip

FIRST_NAMES = (
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Emma", "Louise", "Clara",
    "Lucas", "Hugo", "Nathan", "Théo", "Louis", "Karim", "Julien", "Thomas", "Antoine", "Yanis",
    "Mathilde", "Nadia", "Pauline", "Romain", "Maxime", "Sofia", "Élodie", "Mehdi", "Quentin",
    "Aurélie",
)  # fmt: skip
