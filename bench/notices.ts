// npm run bench:notices — the tender watch on a generated set of notices (deterministic, seeded):
// BOAMP open data (JSON array and JSON lines, the three shapes of `donnees`), BOAMP XML files, eForms XML
// files and DECP JSON (official and real-world envelopes), realistic French texts of a few hundred to a
// few thousand characters. Measured, as medians of several runs:
// - reading (readNotices) and reading + classification (classifyNotice), per format and overall, in
//   notices/s and MB/s, with a baseline of the same run: the bytes read, JSON.parse of the same records,
//   the XML parser alone;
// - import (importNotices into a fresh database) on PostgreSQL and PGlite, then the same files again;
// - peak RSS and live heap while streaming a large BOAMP JSON array and a large DECP file (each in its own
//   process), against JSON.parse of a smaller file held whole.
// Targets (issue): ≥ 5,000 notices/s read and classified in memory, ≥ 1,000 notices/s imported into
// PostgreSQL, memory flat while streaming. Figures go to bench/results/notices.json.
//
// Environment: BENCH_NOTICES (size of the set, default 50,000), BENCH_RUNS (in-memory runs, default 3),
// BENCH_IMPORT_RUNS (default 1), BENCH_BIG_MB (size of each large file, default 300), BENCH_ENGINES
// (pglite,pg), BENCH_PARTS (what to measure: memory,import,streaming; all by default), BENCH_KEEP=1 keeps the
// generated folder.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { SaxesParser } from 'saxes';
import { classifyNotice } from '../src/modules/notices/classify.ts';
import { readNotices } from '../src/modules/notices/formats/read.ts';
import type { NoticeFormat } from '../src/modules/notices/model.ts';
import { importNotices } from '../src/modules/notices/service.ts';
import { freshDb, percentile, pgAvailable, writeResults } from './lib.ts';

const THIS_FILE = fileURLToPath(import.meta.url);

// ---------------------------------------------------------------------------------------------------
// Deterministic randomness

type Rng = ReturnType<typeof prng>;

function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
    digits: (n: number) => Array.from({ length: n }, () => String(int(0, 9))).join(''),
    sample: <T>(xs: readonly T[], n: number): T[] => {
      const copy = [...xs];
      const out: T[] = [];
      while (out.length < n && copy.length) out.push(copy.splice(Math.floor(next() * copy.length), 1)[0]);
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Vocabulary: places, buyers, domains, sentences (French, as notices write it)

interface Place {
  commune: string;
  cp: string;
  insee: string;
  dep: string;
  nuts: string;
}

const PLACES: Place[] = [
  ['Lille', '59000', '59350', '59', 'FRE11'],
  ['Roubaix', '59100', '59512', '59', 'FRE11'],
  ['Dunkerque', '59140', '59183', '59', 'FRE11'],
  ['Valenciennes', '59300', '59606', '59', 'FRE11'],
  ['Arras', '62000', '62041', '62', 'FRE12'],
  ['Lens', '62300', '62498', '62', 'FRE12'],
  ['Calais', '62100', '62193', '62', 'FRE12'],
  ['Boulogne-sur-Mer', '62200', '62160', '62', 'FRE12'],
  ['Amiens', '80000', '80021', '80', 'FRE23'],
  ['Abbeville', '80100', '80001', '80', 'FRE23'],
  ['Beauvais', '60000', '60057', '60', 'FRE22'],
  ['Compiègne', '60200', '60159', '60', 'FRE22'],
  ['Saint-Quentin', '02100', '02691', '02', 'FRE21'],
  ['Laon', '02000', '02408', '02', 'FRE21'],
  ['Paris', '75013', '75056', '75', 'FR101'],
  ['Lyon', '69003', '69123', '69', 'FRK26'],
  ['Marseille', '13005', '13055', '13', 'FRL04'],
  ['Nantes', '44000', '44109', '44', 'FRG01'],
  ['Bordeaux', '33000', '33063', '33', 'FRI12'],
  ['Toulouse', '31000', '31555', '31', 'FRJ23'],
  ['Rennes', '35000', '35238', '35', 'FRH03'],
  ['Strasbourg', '67000', '67482', '67', 'FRF11'],
  ['Dijon', '21000', '21231', '21', 'FRC11'],
  ['Rouen', '76000', '76540', '76', 'FRD22'],
  ['Orléans', '45000', '45234', '45', 'FRB06'],
  ['Montpellier', '34000', '34172', '34', 'FRJ13'],
  ['Grenoble', '38000', '38185', '38', 'FRK24'],
  ['Clermont-Ferrand', '63000', '63113', '63', 'FRK14'],
  ['Limoges', '87000', '87085', '87', 'FRI23'],
  ['Metz', '57000', '57463', '57', 'FRF33'],
].map(([commune, cp, insee, dep, nuts]) => ({ commune, cp, insee, dep, nuts }));

const BUYER_KINDS: ((c: string) => string)[] = [
  (c) => `Commune de ${c}`,
  (c) => `Ville de ${c}`,
  (c) => `Communauté d'agglomération de ${c}`,
  (c) => `Centre hospitalier de ${c}`,
  (c) => `Office public de l'habitat de ${c}`,
  (c) => `Syndicat mixte des eaux de la région de ${c}`,
  (c) => `Université de ${c}`,
  (c) => `Centre communal d'action sociale de ${c}`,
  (c) => `Métropole de ${c}`,
  (c) => `SEM d'aménagement de ${c}`,
];

const COMPANIES = [
  'Propreté Services du Nord', 'Atelier Vert Solidaire', 'SARL Dupont et Fils', 'Bâtiments Réunis', 'ESAT Les Ateliers du Littoral',
  'Entreprise adaptée Horizon', 'Restauration Collective Picarde', 'Numérique Conseil', 'Transports Lefebvre', 'Recyclerie de l’Aa',
  'Menuiserie Leroy', 'Groupe Sécurité Plus', 'Imprimerie Moderne', 'Blanchisserie des Flandres', 'Chantier d’insertion Les Jardins',
];

const SITES = [
  'des bâtiments communaux', 'des écoles maternelles et élémentaires', "de l'hôtel de ville et de ses annexes", 'des collèges du département',
  'du centre hospitalier', 'des équipements sportifs', 'des résidences du parc locatif', 'des médiathèques du réseau', 'des sites de la direction des routes',
  'du centre technique municipal',
];

interface Domain {
  cpv: string[];
  type: 'SERVICES' | 'TRAVAUX' | 'FOURNITURES';
  titles: string[];
  lots: string[];
  sentences: ((r: Rng) => string)[];
}

const n = (r: Rng, a: number, b: number) => String(r.int(a, b));
const thousands = (x: number) => String(x).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

const DOMAINS: Domain[] = [
  {
    cpv: ['90910000', '90911200', '90919200', '90911300'],
    type: 'SERVICES',
    titles: ['Nettoyage des locaux {site}', 'Prestations de nettoyage et d’entretien ménager {site}', 'Nettoyage de la vitrerie {site}'],
    lots: ['Nettoyage des bureaux', 'Nettoyage de la vitrerie', 'Nettoyage des sanitaires publics', 'Entretien des gymnases', 'Remise en état après travaux'],
    sentences: [
      (r) => `Les prestations comprennent l'entretien courant de ${thousands(r.int(2, 40) * 500)} m² de surfaces (bureaux, circulations, sanitaires, salles de réunion), le vidage des corbeilles et le tri des déchets.`,
      (r) => `La fréquence des passages est fixée à ${n(r, 2, 5)} fois par semaine pour les bureaux et chaque jour pour les sanitaires, selon le cahier des clauses techniques particulières.`,
      () => `Les produits utilisés devront être conformes à la réglementation en vigueur et adaptés aux différents revêtements de sols (linoléum, carrelage, parquet).`,
      () => `Le titulaire assure la fourniture des consommables sanitaires (papier toilette, essuie-mains, savon) dans le respect des quantités prévues au bordereau des prix.`,
      (r) => `Une remise en état complète des sols est prévue ${r.pick(['pendant les vacances scolaires d’été', 'une fois par an', 'au mois d’août'])}.`,
      () => `Les interventions ont lieu en dehors des heures d'ouverture au public, de 6 h 00 à 8 h 30 ou après 18 h 00.`,
      () => `Le titulaire désigne un chef d'équipe, interlocuteur unique du service des moyens généraux, joignable pendant toute la durée du marché.`,
    ],
  },
  {
    cpv: ['77310000', '77313000', '77211400', '77340000'],
    type: 'SERVICES',
    titles: ['Entretien des espaces verts {site}', 'Tonte, taille et désherbage des espaces verts', 'Élagage des arbres d’alignement'],
    lots: ['Tonte et débroussaillage', 'Taille des haies et arbustes', 'Élagage des arbres', 'Désherbage alternatif', 'Entretien des aires de jeux'],
    sentences: [
      (r) => `Le marché porte sur l'entretien de ${n(r, 8, 90)} hectares d'espaces verts : tonte, ramassage des feuilles, taille des haies et désherbage manuel ou thermique.`,
      () => `Aucun produit phytosanitaire ne peut être utilisé sur les espaces publics, conformément à la loi Labbé.`,
      (r) => `Le patrimoine arboré compte environ ${thousands(r.int(3, 40) * 100)} arbres d'alignement, dont une partie nécessite une taille douce tous les trois ans.`,
      () => `Les déchets verts sont évacués vers la plateforme de compostage intercommunale ; leur valorisation est à la charge du titulaire.`,
      () => `Les travaux d'élagage à proximité des réseaux électriques sont réalisés par du personnel habilité.`,
      () => `La visite des sites est conseillée ; elle peut être organisée sur rendez-vous auprès des services techniques.`,
    ],
  },
  {
    cpv: ['55520000', '55523100', '15894210', '55321000'],
    type: 'SERVICES',
    titles: ['Fourniture et livraison de repas en liaison froide', 'Restauration scolaire et périscolaire', 'Portage de repas à domicile'],
    lots: ['Repas des écoles', 'Repas des crèches', 'Portage à domicile', 'Goûters et collations'],
    sentences: [
      (r) => `Le volume prévisionnel est de ${thousands(r.int(20, 400) * 1000)} repas par an, livrés en liaison froide dans ${n(r, 4, 30)} restaurants scolaires.`,
      () => `Les menus sont élaborés avec une diététicienne et validés en commission des menus chaque trimestre.`,
      (r) => `Au moins ${n(r, 20, 50)} % des produits seront des produits durables et de qualité, dont ${n(r, 20, 30)} % issus de l'agriculture biologique, conformément à la loi EGalim.`,
      () => `Le titulaire propose un repas végétarien par semaine et des repas adaptés aux régimes alimentaires particuliers.`,
      () => `La livraison est assurée entre 7 h 00 et 9 h 30 dans des véhicules réfrigérés.`,
      () => `Un plan de maîtrise sanitaire est remis avec l'offre.`,
    ],
  },
  {
    cpv: ['45233140', '45233000', '45233220', '45112500'],
    type: 'TRAVAUX',
    titles: ['Travaux de voirie et réseaux divers', 'Réfection de chaussées et de trottoirs', 'Aménagement de la rue {street}'],
    lots: ['Terrassement et voirie', 'Réseaux d’assainissement', 'Éclairage public', 'Signalisation horizontale', 'Espaces verts et plantations'],
    sentences: [
      (r) => `Les travaux comprennent le rabotage et la réfection de ${thousands(r.int(5, 60) * 100)} m² de chaussée, la reprise des bordures et la mise aux normes des traversées piétonnes.`,
      () => `Le phasage des travaux devra maintenir la circulation des riverains et l'accès des services de secours.`,
      (r) => `La durée prévisionnelle des travaux est de ${n(r, 2, 14)} mois, dont une période de préparation d'un mois.`,
      () => `Les enrobés seront de type BBSG 0/10 ; un taux d'agrégats d'enrobés recyclés d'au moins 20 % sera recherché.`,
      () => `Un plan particulier de sécurité et de protection de la santé (PPSPS) sera remis avant tout démarrage.`,
      () => `Les travaux sont soumis à la coordination SPS de niveau 2.`,
    ],
  },
  {
    cpv: ['45210000', '45442100', '45421000', '45331000', '45261000'],
    type: 'TRAVAUX',
    titles: ['Réhabilitation {site}', 'Travaux de rénovation énergétique {site}', 'Construction d’un groupe scolaire'],
    lots: ['Gros œuvre', 'Menuiseries extérieures', 'Plâtrerie et faux plafonds', 'Peinture et revêtements de sols', 'Chauffage, ventilation, plomberie', 'Électricité courants forts et faibles', 'Couverture et étanchéité'],
    sentences: [
      (r) => `L'opération porte sur la réhabilitation d'un bâtiment de ${thousands(r.int(4, 60) * 100)} m² de surface de plancher, en site occupé.`,
      () => `Les travaux visent un gain énergétique d'au moins 40 % et le remplacement des menuiseries par des menuiseries à rupture de pont thermique.`,
      () => `Les entreprises sont invitées à visiter le site avant de remettre leur offre.`,
      (r) => `Le délai global d'exécution est de ${n(r, 6, 24)} mois à compter de l'ordre de service de démarrage.`,
      () => `Le chantier se déroule en trois phases successives afin de maintenir l'activité des services pendant les travaux.`,
      () => `Le diagnostic amiante avant travaux est joint au dossier de consultation.`,
    ],
  },
  {
    cpv: ['72000000', '72261000', '48000000', '30213000', '72415000'],
    type: 'SERVICES',
    titles: ['Maintenance et évolution du système d’information', 'Fourniture de postes informatiques', 'Hébergement et infogérance des applications'],
    lots: ['Postes de travail', 'Serveurs et stockage', 'Logiciels métiers', 'Assistance aux utilisateurs'],
    sentences: [
      (r) => `Le parc comprend environ ${thousands(r.int(2, 30) * 100)} postes de travail et ${n(r, 5, 60)} serveurs répartis sur plusieurs sites.`,
      () => `Le titulaire assure la maintenance corrective et évolutive des applications, ainsi que l'assistance aux utilisateurs du lundi au vendredi de 8 h à 18 h.`,
      () => `Les données sont hébergées en France par un hébergeur certifié, dans le respect du RGPD.`,
      () => `Une phase de réversibilité est prévue en fin de marché.`,
      (r) => `Le temps de rétablissement garanti est de ${n(r, 2, 8)} heures ouvrées pour les incidents bloquants.`,
    ],
  },
  {
    cpv: ['90511000', '90514000', '90512000', '90500000'],
    type: 'SERVICES',
    titles: ['Collecte et traitement des déchets ménagers', 'Collecte sélective des papiers de bureau', 'Enlèvement des encombrants'],
    lots: ['Ordures ménagères résiduelles', 'Collecte sélective', 'Déchèteries', 'Biodéchets'],
    sentences: [
      (r) => `La collecte concerne environ ${thousands(r.int(10, 200) * 100)} habitants, en porte-à-porte et en points d'apport volontaire.`,
      () => `Les véhicules de collecte respecteront au minimum la norme Euro VI ; des véhicules au gaz naturel sont souhaités.`,
      (r) => `Le tonnage annuel estimé est de ${thousands(r.int(2, 90) * 100)} tonnes.`,
      () => `Le titulaire assure la traçabilité des déchets jusqu'à leur exutoire et transmet un rapport mensuel.`,
    ],
  },
  {
    cpv: ['60112000', '60130000', '60140000'],
    type: 'SERVICES',
    titles: ['Transport scolaire des élèves', 'Transport des usagers des accueils de loisirs', 'Transports occasionnels de personnes'],
    lots: ['Circuits du secteur nord', 'Circuits du secteur sud', 'Sorties scolaires', 'Transport des élèves en situation de handicap'],
    sentences: [
      (r) => `Le marché couvre ${n(r, 4, 40)} circuits réguliers et les sorties pédagogiques des écoles.`,
      () => `Les véhicules doivent être équipés de ceintures de sécurité et d'un éthylotest antidémarrage.`,
      () => `Les conducteurs disposent d'une formation aux premiers secours.`,
      () => `Les horaires des circuits sont annexés au cahier des charges ; ils peuvent évoluer chaque année scolaire.`,
    ],
  },
  {
    cpv: ['30192000', '30197630', '22800000', '39130000'],
    type: 'FOURNITURES',
    titles: ['Fourniture de papier et de petites fournitures de bureau', 'Fourniture de mobilier de bureau', 'Fournitures scolaires'],
    lots: ['Papier', 'Petites fournitures', 'Mobilier de bureau', 'Fournitures scolaires'],
    sentences: [
      () => `Le papier fourni est certifié FSC ou PEFC ; le papier recyclé est privilégié pour les usages courants.`,
      (r) => `Les commandes sont passées par bons de commande, pour un montant annuel minimum de ${thousands(r.int(5, 50) * 1000)} euros HT.`,
      () => `Les livraisons sont effectuées franco de port dans un délai de cinq jours ouvrés.`,
      () => `Un catalogue électronique est mis à disposition des services.`,
    ],
  },
  {
    cpv: ['98311000', '98310000', '98315000'],
    type: 'SERVICES',
    titles: ['Location et entretien du linge', 'Blanchisserie des vêtements de travail', 'Entretien du linge des résidents'],
    lots: ['Linge plat', 'Vêtements de travail', 'Linge des résidents'],
    sentences: [
      (r) => `Le volume traité est d'environ ${n(r, 20, 300)} tonnes de linge par an.`,
      () => `Le titulaire assure la collecte et la livraison deux fois par semaine dans chaque établissement.`,
      () => `Le process de blanchisserie respecte la méthode RABC.`,
    ],
  },
  {
    cpv: ['50720000', '50700000', '45331000'],
    type: 'SERVICES',
    titles: ['Maintenance des installations de chauffage, ventilation et climatisation', 'Exploitation des chaufferies'],
    lots: ['Chaufferies', 'Ventilation', 'Climatisation', 'Traitement de l’eau'],
    sentences: [
      (r) => `Le marché concerne ${n(r, 10, 120)} bâtiments équipés de chaudières gaz et de pompes à chaleur.`,
      () => `Le titulaire assure la conduite, l'entretien préventif et le dépannage des installations, avec astreinte 24 h/24.`,
      () => `Un intéressement aux économies d'énergie est prévu au cahier des clauses administratives particulières.`,
    ],
  },
  {
    cpv: ['79710000', '79713000', '79714000'],
    type: 'SERVICES',
    titles: ['Surveillance et gardiennage {site}', 'Sécurité incendie et accueil'],
    lots: ['Gardiennage', 'Sécurité incendie SSIAP', 'Rondes et interventions sur alarme'],
    sentences: [
      () => `Les agents sont titulaires de la carte professionnelle délivrée par le CNAPS.`,
      (r) => `Le volume prévisionnel est de ${thousands(r.int(2, 30) * 1000)} heures de surveillance par an.`,
      () => `Le titulaire transmet chaque mois le planning nominatif des agents affectés au site.`,
    ],
  },
];

const STREETS = ['de la République', 'Jean Jaurès', 'Victor Hugo', 'du Général de Gaulle', 'des Écoles', 'Pasteur', 'de la Gare'];

/** Boilerplate of every notice: most sentences of a notice are like these. */
const GENERIC: ((r: Rng) => string)[] = [
  (r) => `Le marché est conclu pour une durée d'un an à compter de sa notification, reconductible tacitement ${r.pick(['une', 'deux', 'trois'])} fois.`,
  () => `Les prestations sont réglées par des prix unitaires appliqués aux quantités réellement exécutées.`,
  () => `Les candidats peuvent présenter une offre pour un ou plusieurs lots.`,
  (r) => `Une visite des sites est obligatoire ; elle aura lieu le ${n(r, 2, 28)} ${r.pick(['mars', 'avril', 'mai', 'juin', 'septembre'])} 2024 à ${n(r, 9, 15)} h 00.`,
  () => `Le dossier de consultation des entreprises est téléchargeable gratuitement sur le profil d'acheteur.`,
  () => `Les offres sont rédigées en langue française et exprimées en euros.`,
  () => `Le pouvoir adjudicateur se réserve le droit de ne pas donner suite à la présente consultation.`,
  () => `L'acheteur se réserve la possibilité de négocier avec les trois candidats ayant présenté les meilleures offres.`,
  () => `Les variantes ne sont pas autorisées.`,
  (r) => `Le délai de validité des offres est de ${r.pick(['90', '120', '150'])} jours à compter de la date limite de réception des offres.`,
  () => `Modalités de financement : ressources propres de la collectivité ; paiement par virement à 30 jours.`,
  (r) => `Renseignements d'ordre administratif : service de la commande publique, tél. 03 ${n(r, 10, 99)} ${n(r, 10, 99)} ${n(r, 10, 99)} ${n(r, 10, 99)}.`,
  () => `Les candidats produisent les pièces prévues aux articles R. 2143-3 et R. 2143-4 du code de la commande publique.`,
  () => `Le candidat indique sa raison sociale, son numéro SIRET et joint les attestations de régularité sociale et fiscale.`,
  () => `Le titulaire devra justifier d'une assurance de responsabilité civile professionnelle en cours de validité.`,
  () => `Conformément à l'article R. 2151-8 du code de la commande publique, les variantes sont interdites.`,
  () => `Une avance de 5 % est prévue, sauf renonciation du titulaire.`,
  () => `Les prix sont révisables annuellement selon la formule figurant au cahier des clauses administratives particulières.`,
  () => `La transmission des offres par voie électronique est obligatoire ; la signature électronique n'est pas exigée au stade du dépôt.`,
  () => `Les questions sont posées sur la plateforme au plus tard dix jours avant la date limite de remise des offres.`,
  () => `L'offre sera remise sous réserve de la production des certificats prévus au règlement de la consultation.`,
  () => `Sous réserve de l'accord du service, des échantillons pourront être demandés aux trois candidats les mieux classés.`,
  () => `La présente consultation est passée selon une procédure adaptée en application des articles L. 2123-1 et R. 2123-1 du code de la commande publique.`,
  () => `Le marché est un accord-cadre à bons de commande sans minimum et avec un maximum annuel.`,
  (r) => `Le montant maximum de l'accord-cadre est fixé à ${thousands(r.int(5, 200) * 5000)} euros HT pour la durée totale.`,
  () => `Instance chargée des procédures de recours : tribunal administratif territorialement compétent.`,
  () => `Les horaires d'ouverture des services sont précisés au cahier des clauses techniques particulières.`,
  () => `Le titulaire s'engage à respecter le règlement intérieur et les consignes de sécurité des sites.`,
  () => `En cas de groupement, la forme souhaitée est le groupement conjoint avec mandataire solidaire.`,
  () => `Les documents de la consultation sont disponibles gratuitement, sans identification préalable.`,
];

const RESERVED_POSITIVE: ((r: Rng, lot: string | null) => string)[] = [
  () => `Le présent marché est réservé aux entreprises adaptées et aux établissements et services d'aide par le travail, en application de l'article L. 2113-12 du code de la commande publique.`,
  (_r, lot) => `${lot ? `Le lot ${lot} est` : 'Le marché est'} réservé aux structures d'insertion par l'activité économique mentionnées à l'article L. 5132-4 du code du travail (article L2113-13 du CCP).`,
  () => `Marché réservé : oui, aux opérateurs économiques qui emploient des travailleurs handicapés (article L. 2113-12).`,
  () => `La consultation est réservée à des ESAT et EA ainsi qu'à des structures équivalentes.`,
  (_r, lot) => `Réservation ${lot ? `du lot ${lot}` : 'du marché'} au profit des structures d'insertion par l'activité économique et des entreprises adaptées (article L. 2113-14 du code de la commande publique).`,
  () => `Ce marché est exclusivement ouvert aux ateliers et chantiers d'insertion.`,
];

const RESERVED_NEGATIVE: (() => string)[] = [() => `Marché réservé : non.`, () => `Le marché n'est pas réservé.`, () => `Le marché ne fait pas l'objet d'une réservation.`];

const SOCIAL_CLAUSE: ((r: Rng) => string)[] = [
  (r) => `Le marché comporte une clause sociale d'insertion : le titulaire réalisera ${thousands(r.int(7, 90) * 50)} heures d'insertion au profit de personnes éloignées de l'emploi, conformément à l'article L. 2112-2 du code de la commande publique.`,
  (r) => `Une action d'insertion permettant l'accès ou le retour à l'emploi de personnes rencontrant des difficultés sociales ou professionnelles est une condition d'exécution du marché, pour un volume de ${thousands(r.int(4, 60) * 50)} heures.`,
  () => `Le facilitateur de la clause sociale de la maison de l'emploi accompagne gratuitement le titulaire dans la mise en œuvre de son engagement.`,
  (r) => `Nombre d'heures d'insertion : ${thousands(r.int(4, 80) * 25)}`,
  () => `Le titulaire peut recourir à la sous-traitance ou à la cotraitance avec une structure d'insertion par l'activité économique pour satisfaire à la clause.`,
  (r) => `Les heures d'insertion représentent ${n(r, 5, 10)} % des heures de main-d'œuvre du marché.`,
];

const SOCIAL_NEGATIVE: (() => string)[] = [() => `Aucune clause sociale n'est prévue.`, () => `Clause sociale : néant.`, () => `Le marché ne comporte pas de clause d'insertion.`];

const SOCIAL_CRITERIA = [
  'Performances en matière d’insertion professionnelle des publics en difficulté',
  'Nombre d’heures d’insertion proposées au-delà du minimum exigé',
  'Qualité du parcours d’insertion proposé aux salariés (encadrement, formation)',
];

const ENV_CLAUSE: ((r: Rng) => string)[] = [
  () => `Les produits d'entretien utilisés doivent bénéficier de l'écolabel européen ou d'un label équivalent.`,
  () => `Le titulaire met en œuvre une démarche de réduction des émissions de gaz à effet de serre liées au transport.`,
  () => `Clause environnementale : tri et valorisation des déchets de chantier, avec production des bordereaux de suivi.`,
  () => `Les conditions d'exécution comportent des exigences environnementales relatives au réemploi des matériaux.`,
  (r) => `Le bilan carbone des prestations sera transmis chaque année ; un objectif de réduction de ${n(r, 5, 30)} % est fixé.`,
];

const ENV_CRITERIA = ['Performance environnementale des prestations', 'Critère environnemental : gestion des déchets et émissions de CO2', 'Développement durable et circuits courts'];

const PLAIN_CRITERIA = ['Valeur technique', 'Prix des prestations', 'Délai d’intervention', 'Qualité de la méthodologie', 'Moyens humains et matériels affectés', 'Prix'];

/** Text that holds the trigger words without meaning anything (most real notices have some). */
const DECOYS: (() => string)[] = [
  () => `L'insertion paysagère du bâtiment fera l'objet d'une attention particulière.`,
  () => `Les places de stationnement réservées aux personnes handicapées sont maintenues pendant toute la durée des travaux.`,
  () => `Le titulaire respecte les obligations sociales et fiscales et la législation relative à l'obligation d'emploi des travailleurs handicapés.`,
  () => `Les heures d'intervention sont réservées aux créneaux validés par le responsable du site.`,
  () => `Les réserves émises lors de la réception sont levées dans un délai de 30 jours.`,
  () => `Le siège social du candidat et son capital social sont indiqués dans le formulaire DC1.`,
];

interface Texts {
  description: string;
  lotDescriptions: string[];
  conditions: string | null;
  info: string;
  criteria: string[];
  flags: { reserved: boolean; clause: boolean; criterion: boolean; env: boolean };
}

/** A multi-line text with a bullet list now and then. */
function paragraph(r: Rng, sentences: string[]): string {
  if (sentences.length >= 4 && r.chance(0.25)) {
    const cut = r.int(1, sentences.length - 2);
    return `${sentences.slice(0, cut).join(' ')}\nLe titulaire devra notamment :\n${sentences
      .slice(cut)
      .map((s) => `- ${s.charAt(0).toLowerCase()}${s.slice(1)}`)
      .join('\n')}`;
  }
  if (sentences.length >= 3 && r.chance(0.3)) return sentences.map((s) => s).join('\n');
  return sentences.join(' ');
}

function fill(template: string, r: Rng): string {
  return template.replace('{site}', r.pick(SITES)).replace('{street}', r.pick(STREETS));
}

/** The texts of one notice: a few hundred to a few thousand characters, clauses in a minority of them. */
function noticeTexts(r: Rng, d: Domain, lotCount: number): Texts {
  const verbosity = r.next() ** 1.6; // most notices are short, some long
  const own = r.sample(d.sentences, 1 + Math.floor(verbosity * d.sentences.length)).map((f) => f(r));
  const generic = r.sample(GENERIC, 1 + Math.floor(verbosity * 12)).map((f) => f(r));
  const flags = { reserved: r.chance(0.06), clause: r.chance(0.15), criterion: r.chance(0.07), env: r.chance(0.22) };
  const lotNames = Array.from({ length: lotCount }, (_, i) => String(i + 1));
  const conditions: string[] = [];
  if (flags.reserved) conditions.push(r.pick(RESERVED_POSITIVE)(r, lotCount > 1 && r.chance(0.4) ? r.pick(lotNames) : null));
  else if (r.chance(0.05)) conditions.push(r.pick(RESERVED_NEGATIVE)());
  if (flags.clause) conditions.push(...r.sample(SOCIAL_CLAUSE, r.int(1, 3)).map((f) => f(r)));
  else if (r.chance(0.04)) conditions.push(r.pick(SOCIAL_NEGATIVE)());
  if (flags.env) conditions.push(...r.sample(ENV_CLAUSE, r.int(1, 2)).map((f) => f(r)));
  if (r.chance(0.3)) own.push(r.pick(DECOYS)());
  const criteria = r.sample(PLAIN_CRITERIA, r.int(1, 3));
  if (flags.criterion) criteria.push(r.pick(SOCIAL_CRITERIA));
  if (flags.env && r.chance(0.4)) criteria.push(r.pick(ENV_CRITERIA));
  const lotDescriptions = Array.from({ length: lotCount }, () => r.sample(d.sentences, r.int(1, 2)).map((f) => f(r)).join(' '));
  return {
    description: paragraph(r, own),
    lotDescriptions,
    conditions: conditions.length ? conditions.join(r.chance(0.5) ? '\n' : ' ') : null,
    info: paragraph(r, generic),
    criteria,
    flags,
  };
}

// ---------------------------------------------------------------------------------------------------
// A generated notice, before it is written in a format

interface GenLot {
  num: string;
  title: string;
  description: string;
  cpv: string;
  amount: number;
  place: Place;
  reserved: boolean;
}

interface GenNotice {
  idweb: string;
  uuid: string;
  buyer: { name: string; siret: string; place: Place; street: string; mail: string; phone: string };
  title: string;
  domain: Domain;
  cpv: string[];
  place: Place;
  published: string;
  deadline: string;
  award: boolean;
  amount: number;
  lots: GenLot[];
  texts: Texts;
  holders: { name: string; siret: string; amount: number; lot: string | null }[];
  months: number;
}

function uuid(r: Rng): string {
  const h = () => r.int(0, 0xffff).toString(16).padStart(4, '0');
  return `${h()}${h()}-${h()}-4${h().slice(1)}-a${h().slice(1)}-${h()}${h()}${h()}`;
}

const isoDate = (y: number, m: number, d: number) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

function genNotice(r: Rng, index: number, prefix: string): GenNotice {
  const domain = r.pick(DOMAINS);
  const place = r.pick(PLACES);
  const buyerPlace = r.chance(0.8) ? place : r.pick(PLACES);
  const lotCount = r.chance(0.45) ? r.int(2, 6) : 0;
  const texts = noticeTexts(r, domain, lotCount);
  const month = r.int(1, 12);
  const day = r.int(1, 28);
  const lots: GenLot[] = Array.from({ length: lotCount }, (_, i) => ({
    num: String(i + 1),
    title: domain.lots[i % domain.lots.length],
    description: texts.lotDescriptions[i],
    cpv: r.pick(domain.cpv),
    amount: r.int(2, 400) * 1000,
    place: r.chance(0.8) ? place : r.pick(PLACES),
    reserved: texts.flags.reserved && i === 0 && r.chance(0.5),
  }));
  const award = r.chance(0.2);
  const amount = lots.length ? lots.reduce((s, l) => s + l.amount, 0) : r.int(5, 900) * 1000;
  const holderCount = award ? Math.max(1, lots.length) : 0;
  return {
    idweb: `${prefix}-${String(index).padStart(6, '0')}`,
    uuid: uuid(r),
    buyer: {
      name: r.pick(BUYER_KINDS)(buyerPlace.commune),
      siret: `2${r.digits(13)}`,
      place: buyerPlace,
      street: `${r.int(1, 120)} rue ${r.pick(STREETS)}`,
      mail: `marches@${buyerPlace.commune.toLowerCase().normalize('NFD').replace(/[^a-z]/g, '')}.example.fr`,
      phone: `03 ${r.digits(2)} ${r.digits(2)} ${r.digits(2)} ${r.digits(2)}`,
    },
    title: fill(r.pick(domain.titles), r),
    domain,
    cpv: r.sample(domain.cpv, r.int(1, 3)),
    place,
    published: isoDate(2024, month, day),
    deadline: isoDate(2024, Math.min(12, month + 1), day),
    award,
    amount,
    lots,
    texts,
    holders: Array.from({ length: holderCount }, (_, i) => ({
      name: r.pick(COMPANIES),
      siret: r.digits(14),
      amount: lots[i]?.amount ?? amount,
      lot: lots[i]?.num ?? null,
    })),
    months: r.pick([12, 24, 36, 48]),
  };
}

// ---------------------------------------------------------------------------------------------------
// Elements, written as XML or as the JSON tree BOAMP publishes (the shape xml-tree.ts reads)

type El = [name: string, attrs: Record<string, string> | null, content: string | El[]];
const el = (name: string, content: string | El[] = '', attrs: Record<string, string> | null = null): El => [name, attrs, content];

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s: string) => escapeXml(s).replace(/"/g, '&quot;');

function toXml(e: El, out: string[], depth: number, indent: string): void {
  const [name, attrs, content] = e;
  const pad = indent.repeat(depth);
  const a = attrs ? Object.entries(attrs).map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('') : '';
  if (typeof content === 'string') {
    out.push(content === '' ? `${pad}<${name}${a}/>\n` : `${pad}<${name}${a}>${escapeXml(content)}</${name}>\n`);
    return;
  }
  out.push(`${pad}<${name}${a}>\n`);
  for (const c of content) toXml(c, out, depth + 1, indent);
  out.push(`${pad}</${name}>\n`);
}

type Tree = string | { [k: string]: Tree } | Tree[];

function toTree(e: El): Tree {
  const [, attrs, content] = e;
  const attributes = attrs ? Object.entries(attrs).filter(([k]) => !k.startsWith('xmlns')) : [];
  if (typeof content === 'string' && attributes.length === 0) return content;
  const node: { [k: string]: Tree } = {};
  for (const [k, v] of attributes) node[`@${k}`] = v;
  if (typeof content === 'string') {
    if (content !== '') node['#text'] = content;
    return node;
  }
  const repeated = new Set<string>();
  for (const child of content) {
    const value = toTree(child);
    const key = child[0];
    if (!(key in node)) node[key] = value;
    else if (repeated.has(key)) (node[key] as Tree[]).push(value);
    else {
      node[key] = [node[key], value];
      repeated.add(key);
    }
  }
  return node;
}

// --- BOAMP legacy tree (Boamp_v230): GESTION and DONNEES

function boampGestion(g: GenNotice, r: Rng): El {
  const criteria: El[] = [];
  if (g.texts.flags.clause && r.chance(0.6)) criteria.push(el('SOCIAUX'));
  if (g.texts.flags.env && r.chance(0.6)) criteria.push(el('ENVIRONNEMENTAUX'));
  return el('GESTION', [
    el('REFERENCE', [
      el('IDWEB', g.idweb),
      el('TYPE_AVIS', [
        el('FAMILLE', [el(g.amount > 215000 ? 'FNS' : 'MAPA')]),
        el('PERIMETRE', [el('CMP-2006')]),
        el('NATURE', [g.award ? el('ATTRIBUTION') : el('APPEL_OFFRE', [el('STANDARD')])]),
        el('STATUT', [el('INITIAL')]),
      ]),
    ]),
    el('NOM_HTML', `${g.idweb}.html`),
    el('INDEXATION', [
      el('DATE_PUBLICATION', g.published),
      el('DATE_FIN_DIFFUSION', g.deadline),
      el('DESCRIPTEURS', [el('DESCRIPTEUR', [el('CODE', String(100 + DOMAINS.indexOf(g.domain))), el('LIBELLE', g.domain.lots[0])])]),
      ...(criteria.length ? [el('CRITERES_SOCIAUX_ENV', criteria)] : []),
      el('DEP_PUBLICATION', g.buyer.place.dep),
      el('DEP_PRESTATION', g.place.dep),
      el('RESUME_OBJET', g.title.toLowerCase()),
    ]),
  ]);
}

function boampDonnees(g: GenNotice, r: Rng): El {
  const t = g.texts;
  const identite = el('IDENTITE', [
    el('DENOMINATION', g.buyer.name),
    el('CODE_IDENT_NATIONAL', `${g.buyer.siret.slice(0, 9)} ${g.buyer.siret.slice(9)}`),
    el('CONTACT', `Service de la commande publique, ${g.buyer.street}, ${g.buyer.place.cp} ${g.buyer.place.commune}`),
    el('ADRESSE', g.buyer.street),
    el('CP', g.buyer.place.cp),
    el('VILLE', g.buyer.place.commune),
    el('TEL', g.buyer.phone),
    el('MEL', g.buyer.mail),
    el('URL', `https://www.${g.buyer.mail.split('@')[1]}`),
    el('URL_PROFIL_ACHETEUR', 'https://marches.example.fr'),
  ]);
  const criteres = el('CRITERES_ATTRIBUTION', [
    r.chance(0.7)
      ? el('CRITERES_PONDERES', t.criteria.map((c, i) => el('CRITERE', c, { POIDS: String(i === 0 ? 60 : Math.max(5, Math.floor(40 / (t.criteria.length - 1 || 1)))) })))
      : el('CRITERES_LIBRE', t.criteria.map((c) => `- ${c}`).join('\n')),
  ]);
  const lots = g.lots.length
    ? el('LOTS', g.lots.map((l) =>
        el('LOT', [
          el('NUM', l.num),
          el('INTITULE', l.title),
          el('DESCRIPTION', l.description),
          el('CPV', [el('PRINCIPAL', l.cpv)]),
          el('CODE_NUTS', l.place.nuts),
          el('VALEUR', String(l.amount), { DEVISE: 'EUR' }),
          ...(l.reserved ? [el('MARCHE_RESERVE_OUI', [el(r.chance(0.5) ? 'ATELIERS_PROTEGES' : 'EMPLOIS_PROTEGES')])] : []),
          el('DUREE_MOIS', String(g.months)),
        ]),
      ))
    : el('LOTS', [el('LOT', [el('DESCRIPTION', t.description.slice(0, 400)), el('CPV', [el('PRINCIPAL', g.cpv[0])]), el('FONDS_COMMUNAUTAIRES_NON')])]);
  const objet = el('OBJET', [
    el('TITRE_MARCHE', g.title),
    el('TYPE_MARCHE', [el(g.domain.type === 'TRAVAUX' ? 'TRAVAUX' : g.domain.type === 'FOURNITURES' ? 'FOURNITURES' : 'SERVICE')]),
    el('OBJET_COMPLET', t.description),
    el('CPV', [el('PRINCIPAL', `${g.cpv[0]}-${r.int(0, 9)}`), ...g.cpv.slice(1).map((c) => el('SUPPLEMENTAIRE', c))]),
    el('LIEU_EXEC_LIVR', [el('ADRESSE', 'Territoire communal'), el('CP', g.place.cp), el('VILLE', g.place.commune)]),
    el('CODE_NUTS', g.place.nuts),
    el('DIV_EN_LOTS', [el(g.lots.length ? 'OUI' : 'NON')]),
    lots,
    ...(g.lots.length ? [] : [el('VALEUR_ESTIMEE', [el('VALEUR', String(g.amount), { DEVISE: 'EUR' })])]),
  ]);
  const participation = el('CONDITION_PARTICIPATION', [
    el('CRITERE_SELECTION', 'Capacités économiques et financières, références de prestations similaires au cours des trois dernières années, moyens humains et techniques.'),
    t.flags.reserved && r.chance(0.5) ? el('MARCHE_RESERVE_OUI', [el('ATELIERS_PROTEGES')]) : el('MARCHE_RESERVE_NON'),
    ...(t.conditions ? [el('CONDITION_PARTICULIERE_EXECUTION', t.conditions)] : []),
  ]);
  const children: El[] = [
    identite,
    el('TYPE_ORGANISME', [el('COMMUNE')]),
    objet,
    el('PROCEDURE', [el('TYPE_PROCEDURE', [el(g.amount > 215000 ? 'OUVERT' : 'PROCEDURE_ADAPTE')]), criteres]),
    el('CONDITION_DELAI', [el('RECEPT_OFFRES', `${g.deadline}T12:00:00+01:00`), el('VALIDITE_OFFRE', [el('DUREE_JOUR', '120')])]),
    el('CONDITION_RELATIVE_MARCHE', [el('PARTICIPATION_ELECTRONIQUE_OUI'), el('LANGUES', [el('LANGUE', 'fr')])]),
    participation,
    el('RENSEIGNEMENTS_COMPLEMENTAIRES', [
      el('RENS_COMPLEMENT', t.info),
      el('ADRESSES_COMPLEMENTAIRES', [
        el('ADRESSE', [el('TYPE', [el('INSTANCE_RECOURS')]), el('DENOMINATION', `Tribunal administratif de ${g.buyer.place.commune}`), el('CP', g.buyer.place.cp), el('VILLE', g.buyer.place.commune)]),
      ]),
    ]),
  ];
  if (g.award) {
    children.push(
      el('ATTRIBUTION', [
        el('DATE_DECISION', g.published),
        ...g.holders.map((h) =>
          el('DECISION', [
            ...(h.lot ? [el('NUM_LOT', h.lot)] : []),
            el('INTITULE', g.lots.find((l) => l.num === h.lot)?.title ?? g.title),
            el('TITULAIRE', [el('DENOMINATION', h.name), el('CODE_IDENT_NATIONAL', h.siret), el('CP', g.place.cp), el('VILLE', g.place.commune)]),
            el('RENSEIGNEMENT', [el('MONTANT', String(h.amount), { DEVISE: 'EUR' }), el('DATE_ATTRIBUTION', g.published), el('NB_OFFRE_RECU', String(r.int(1, 9)))]),
          ]),
        ),
        el('VALEUR_TOTALE', String(g.amount), { DEVISE: 'EUR' }),
      ]),
    );
  }
  return el('DONNEES', children);
}

// --- eForms (UBL 2.3, SDK 1.10): a contract or award notice of realistic size

const UBL_NAMESPACES = {
  'xmlns:cac': 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2',
  'xmlns:cbc': 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2',
  'xmlns:ext': 'urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2',
  'xmlns:efac': 'http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1',
  'xmlns:efbc': 'http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1',
  'xmlns:efext': 'http://data.europa.eu/p27/eforms-ubl-extensions/1',
};

const fra = (name: string, text: string) => el(name, text, { languageID: 'FRA' });
const code = (name: string, list: string, text: string) => el(name, text, { listName: list });
const idOf = (scheme: string, id: string) => el('cbc:ID', id, { schemeName: scheme });
const extension = (children: El[]) => el('ext:UBLExtensions', [el('ext:UBLExtension', [el('ext:ExtensionContent', [el('efext:EformsExtension', children)])])]);

function organisation(id: string, name: string, place: Place, siret: string, r: Rng, touchpoint: boolean): El {
  const address = (dept: string) =>
    el('cac:PostalAddress', [
      el('cbc:StreetName', `${r.int(1, 200)} rue ${r.pick(STREETS)}`),
      el('cbc:Department', dept),
      el('cbc:CityName', place.commune),
      el('cbc:PostalZone', place.cp),
      code('cbc:CountrySubentityCode', 'nuts', place.nuts),
      el('cac:Country', [code('cbc:IdentificationCode', 'country', 'FRA')]),
    ]);
  const contact = el('cac:Contact', [el('cbc:Telephone', `+33 3${r.digits(8)}`), el('cbc:ElectronicMail', `contact${r.int(1, 99)}@example.fr`)]);
  return el('efac:Organization', [
    el('efbc:GroupLeadIndicator', 'false'),
    el('efac:Company', [
      el('cbc:WebsiteURI', `https://www.organisme-${r.digits(4)}.example.fr`),
      el('cac:PartyIdentification', [idOf('organization', id)]),
      el('cac:PartyName', [fra('cbc:Name', name)]),
      address('Direction de la commande publique'),
      el('cac:PartyLegalEntity', [el('cbc:CompanyID', siret)]),
      contact,
    ]),
    ...(touchpoint
      ? [el('efac:TouchPoint', [el('cac:PartyIdentification', [idOf('touchpoint', `TPO-${id.slice(4)}`)]), el('cac:PartyName', [fra('cbc:Name', `${name} — service des marchés`)]), address('Service des marchés'), contact])]
      : []),
  ]);
}

const EXCLUSION_GROUNDS = [
  ['exg-crim-part', 'Participation à une organisation criminelle, au sens des articles L. 2141-1 et suivants du code de la commande publique.'],
  ['exg-crim-corrpt', 'Corruption, trafic d’influence et infractions assimilées.'],
  ['exg-crim-fraud', 'Fraude, y compris fraude fiscale, et blanchiment.'],
  ['exg-pmt-bre-tax', 'Manquement aux obligations relatives au paiement des impôts et des cotisations de sécurité sociale.'],
  ['exg-mis-bre-lab-law', 'Manquement aux obligations applicables dans le domaine du droit du travail.'],
  ['exg-sitn-insolvency', 'Liquidation judiciaire, redressement judiciaire sans habilitation à poursuivre l’activité.'],
];

const SELECTION_CRITERIA = [
  ['sui-act', 'Inscription au registre du commerce ou au répertoire des métiers.'],
  ['ef-stand', 'Chiffre d’affaires global et chiffre d’affaires relatif aux prestations objet du marché sur les trois derniers exercices.'],
  ['tp-abil', 'Références de prestations similaires réalisées au cours des trois dernières années, moyens humains et matériels.'],
];

function eformsNotice(g: GenNotice, r: Rng): El {
  const t = g.texts;
  const kind = g.award ? 'ContractAwardNotice' : 'ContractNotice';
  const orgs: El[] = [
    organisation('ORG-0001', g.buyer.name, g.buyer.place, g.buyer.siret, r, r.chance(0.5)),
    organisation('ORG-0002', `Tribunal administratif de ${g.buyer.place.commune}`, g.buyer.place, `1${r.digits(13)}`, r, false),
    organisation('ORG-0003', 'Comité consultatif interrégional de règlement amiable des litiges', g.buyer.place, `1${r.digits(13)}`, r, false),
  ];
  g.holders.forEach((h, i) => orgs.push(organisation(`ORG-${String(i + 4).padStart(4, '0')}`, h.name, g.place, h.siret, r, false)));
  const lots = g.lots.length
    ? g.lots
    : [{ num: '1', title: g.title, description: t.lotDescriptions[0] ?? t.description.slice(0, 300), cpv: g.cpv[0], amount: g.amount, place: g.place, reserved: false }];
  const extContent: El[] = [
    el('efbc:TransmissionDate', `${g.published}+01:00`),
    el('efbc:TransmissionTime', '10:00:00+01:00'),
    el('efac:NoticeSubType', [code('cbc:SubTypeCode', 'notice-subtype', g.award ? '29' : '16')]),
    el('efac:Organizations', orgs),
    el('efac:Publication', [el('efbc:NoticePublicationID', `00${r.digits(6)}-2024`, { schemeName: 'ojs-notice-id' }), el('efbc:GazetteID', `2024/${r.int(1, 250)}`, { schemeName: 'ojs-id' }), el('efbc:PublicationDate', `${g.published}+01:00`)]),
  ];
  if (g.award) {
    const results: El[] = [el('cbc:TotalAmount', String(g.amount), { currencyID: 'EUR' })];
    g.holders.forEach((h, i) => {
      const k = String(i + 1).padStart(4, '0');
      const lotId = `LOT-${String(Number(h.lot ?? 1)).padStart(4, '0')}`;
      results.push(
        el('efac:LotResult', [idOf('result', `RES-${k}`), code('cbc:TenderResultCode', 'winner-selection-status', 'selec-w'), el('efac:LotTender', [idOf('tender', `TEN-${k}`)]), el('efac:TenderLot', [idOf('Lot', lotId)])]),
      );
    });
    g.holders.forEach((h, i) => {
      const k = String(i + 1).padStart(4, '0');
      results.push(
        el('efac:LotTender', [
          idOf('tender', `TEN-${k}`),
          el('cac:LegalMonetaryTotal', [el('cbc:PayableAmount', String(h.amount), { currencyID: 'EUR' })]),
          el('efac:TenderingParty', [idOf('tendering-party', `TPA-${k}`)]),
          el('efac:TenderLot', [idOf('Lot', `LOT-${String(Number(h.lot ?? 1)).padStart(4, '0')}`)]),
        ]),
      );
    });
    g.holders.forEach((_h, i) => {
      const k = String(i + 1).padStart(4, '0');
      results.push(el('efac:SettledContract', [idOf('contract', `CON-${k}`), el('cbc:IssueDate', `${g.published}+01:00`), el('efac:LotTender', [idOf('tender', `TEN-${k}`)])]));
      results.push(el('efac:TenderingParty', [idOf('tendering-party', `TPA-${k}`), el('efac:Tenderer', [idOf('organization', `ORG-${String(i + 4).padStart(4, '0')}`)])]));
    });
    extContent.push(el('efac:NoticeResult', results));
  }
  const location = (p: Place) => el('cac:RealizedLocation', [el('cac:Address', [el('cbc:CityName', p.commune), el('cbc:PostalZone', p.cp), code('cbc:CountrySubentityCode', 'nuts', p.nuts), el('cac:Country', [code('cbc:IdentificationCode', 'country', 'FRA')])])]);
  const lotEls = lots.map((l, i) => {
    const strategic: El[] = [];
    if (t.flags.clause && i === 0) strategic.push(el('cac:ProcurementAdditionalType', [code('cbc:ProcurementTypeCode', 'strategic-procurement', 'soc-obj'), fra('cbc:ProcurementType', 'Clause sociale d’insertion')]), el('cac:ProcurementAdditionalType', [code('cbc:ProcurementTypeCode', 'social-objective', 'opp')]));
    else strategic.push(el('cac:ProcurementAdditionalType', [code('cbc:ProcurementTypeCode', 'strategic-procurement', 'none')]));
    strategic.push(el('cac:ProcurementAdditionalType', [code('cbc:ProcurementTypeCode', 'environmental-impact', t.flags.env ? r.pick(['circ-econ', 'other', 'waste-prev']) : 'none')]));
    const subCriteria = t.criteria.map((c, k) =>
      el('cac:SubordinateAwardingCriterion', [
        extension([el('efac:AwardCriterionParameter', [code('efbc:ParameterCode', 'number-weight', 'per-exa'), el('efbc:ParameterNumeric', String(k === 0 ? 60 : 20))])]),
        code('cbc:AwardingCriterionTypeCode', 'award-criterion-type', /prix/i.test(c) ? 'price' : 'quality'),
        fra('cbc:Name', c),
        ...(r.chance(0.4) ? [fra('cbc:Description', `${c} : appréciée au regard du mémoire technique remis par le candidat.`)] : []),
      ]),
    );
    return el('cac:ProcurementProjectLot', [
      idOf('Lot', `LOT-${String(i + 1).padStart(4, '0')}`),
      el('cac:TenderingTerms', [
        extension(
          r.sample(SELECTION_CRITERIA, r.int(1, 3)).map(([c, d]) => el('efac:SelectionCriteria', [code('cbc:TendererRequirementTypeCode', 'selection-criterion', c), fra('cbc:Description', d)])),
        ),
        code('cbc:FundingProgramCode', 'eu-funded', 'no-eu-funds'),
        el('cbc:RecurringProcurementIndicator', 'false'),
        code('cbc:VariantConstraintCode', 'permission', 'not-allowed'),
        el('cac:CallForTendersDocumentReference', [el('cbc:ID', 'DCE'), el('cbc:DocumentType', 'non-restricted-document'), el('cac:Attachment', [el('cac:ExternalReference', [el('cbc:URI', 'https://marches.example.fr/dce')])])]),
        el('cac:TendererQualificationRequest', [el('cac:SpecificTendererRequirement', [code('cbc:TendererRequirementTypeCode', 'reserved-procurement', t.flags.reserved && i === 0 ? 'res-ws' : 'none')])]),
        el('cac:ContractExecutionRequirement', [code('cbc:ExecutionRequirementCode', 'reserved-execution', t.flags.reserved && i === 0 && r.chance(0.4) ? 'yes' : 'no')]),
        ...(t.conditions && i === 0 ? [el('cac:ContractExecutionRequirement', [code('cbc:ExecutionRequirementCode', 'conditions', 'performance'), fra('cbc:Description', t.conditions)])] : []),
        el('cac:ContractExecutionRequirement', [code('cbc:ExecutionRequirementCode', 'einvoicing', 'required')]),
        el('cac:AwardingTerms', [el('cac:AwardingCriterion', subCriteria)]),
        el('cac:AppealTerms', [el('cac:AppealReceiverParty', [el('cac:PartyIdentification', [idOf('organization', 'ORG-0002')])])]),
        el('cac:TenderRecipientParty', [el('cbc:EndpointID', 'https://marches.example.fr/depot')]),
      ]),
      el('cac:TenderingProcess', [
        el('cac:TenderSubmissionDeadlinePeriod', [el('cbc:EndDate', `${g.deadline}+01:00`), el('cbc:EndTime', '12:00:00+01:00')]),
        el('cac:OpenTenderEvent', [el('cbc:OccurrenceDate', `${g.deadline}+01:00`), el('cbc:OccurrenceTime', '14:00:00+01:00')]),
        el('cac:ContractingSystem', [code('cbc:ContractingSystemTypeCode', 'framework-agreement', 'none')]),
      ]),
      el('cac:ProcurementProject', [
        el('cbc:ID', `${g.idweb}-${i + 1}`),
        fra('cbc:Name', l.title),
        fra('cbc:Description', l.description),
        code('cbc:ProcurementTypeCode', 'contract-nature', g.domain.type === 'TRAVAUX' ? 'works' : g.domain.type === 'FOURNITURES' ? 'supplies' : 'services'),
        ...strategic,
        el('cac:RequestedTenderTotal', [el('cbc:EstimatedOverallContractAmount', String(l.amount), { currencyID: 'EUR' })]),
        el('cac:MainCommodityClassification', [code('cbc:ItemClassificationCode', 'cpv', l.cpv)]),
        location(l.place),
        el('cac:PlannedPeriod', [el('cbc:DurationMeasure', String(g.months), { unitCode: 'MONTH' })]),
        el('cac:ContractExtension', [el('cbc:MaximumNumberNumeric', '3'), el('cac:Renewal', [el('cac:Period', [fra('cbc:Description', 'Reconduction tacite par périodes d’un an.')])])]),
      ]),
    ]);
  });
  return el(kind, [
    extension(extContent),
    el('cbc:UBLVersionID', '2.3'),
    el('cbc:CustomizationID', 'eforms-sdk-1.10'),
    idOf('notice-id', g.uuid),
    el('cbc:ContractFolderID', uuid(r)),
    el('cbc:IssueDate', `${g.published}+01:00`),
    el('cbc:IssueTime', '09:30:00+01:00'),
    el('cbc:VersionID', '01'),
    el('cbc:RegulatoryDomain', '32014L0024'),
    code('cbc:NoticeTypeCode', g.award ? 'result' : 'competition', g.award ? 'can-standard' : 'cn-standard'),
    code('cbc:NoticeLanguageCode', 'language', 'FRA'),
    el('cac:ContractingParty', [
      el('cbc:BuyerProfileURI', 'https://marches.example.fr'),
      el('cac:ContractingPartyType', [code('cbc:PartyTypeCode', 'buyer-legal-type', 'la')]),
      el('cac:ContractingActivity', [code('cbc:ActivityTypeCode', 'authority-activity', 'gen-pub')]),
      el('cac:Party', [el('cac:PartyIdentification', [idOf('organization', 'ORG-0001')])]),
    ]),
    el('cac:TenderingTerms', [
      el('cac:TendererQualificationRequest', [el('cac:SpecificTendererRequirement', [code('cbc:TendererRequirementTypeCode', 'exclusion-grounds-source', 'epo-notice')])]),
      // Most notices refer to the procurement documents for the exclusion grounds; some list them.
      ...(r.chance(0.3)
        ? [el('cac:TendererQualificationRequest', r.sample(EXCLUSION_GROUNDS, r.int(2, 4)).map(([c, d]) => el('cac:SpecificTendererRequirement', [code('cbc:TendererRequirementTypeCode', 'exclusion-ground', c), fra('cbc:Description', d)])))]
        : []),
    ]),
    el('cac:TenderingProcess', [fra('cbc:Description', t.info), code('cbc:ProcedureCode', 'procurement-procedure-type', g.amount > 215000 ? 'open' : 'neg-w-call')]),
    el('cac:ProcurementProject', [
      el('cbc:ID', g.idweb),
      fra('cbc:Name', g.title),
      fra('cbc:Description', t.description),
      code('cbc:ProcurementTypeCode', 'contract-nature', g.domain.type === 'TRAVAUX' ? 'works' : g.domain.type === 'FOURNITURES' ? 'supplies' : 'services'),
      el('cac:RequestedTenderTotal', [el('cbc:EstimatedOverallContractAmount', String(g.amount), { currencyID: 'EUR' })]),
      el('cac:MainCommodityClassification', [code('cbc:ItemClassificationCode', 'cpv', g.cpv[0])]),
      ...g.cpv.slice(1).map((c) => el('cac:AdditionalCommodityClassification', [code('cbc:ItemClassificationCode', 'cpv', c)])),
      location(g.place),
    ]),
    ...lotEls,
  ], kind === 'ContractNotice' ? { ...UBL_NAMESPACES, xmlns: 'urn:oasis:names:specification:ubl:schema:xsd:ContractNotice-2' } : { ...UBL_NAMESPACES, xmlns: 'urn:oasis:names:specification:ubl:schema:xsd:ContractAwardNotice-2' });
}

// --- BOAMP open-data records: header + gestion + donnees in one of three shapes

function mapaDonnees(g: GenNotice, r: Rng): Record<string, unknown> {
  const t = g.texts;
  const form = r.chance(0.7) ? 'MAPA' : 'FNSimple';
  const organisme = {
    acheteurPublic: g.buyer.name,
    codeIdentificationNational: g.buyer.siret,
    urlProfilAcheteur: 'https://marches.example.fr/?page=entreprise.EntrepriseAdvancedSearch',
    correspondantPRM: { civilite: 'Madame', nom: 'Martin', fonc: 'Responsable du service de la commande publique' },
    coord: { tel: g.buyer.phone, mel: g.buyer.mail },
    adr: { voie: { nomvoie: g.buyer.street }, cp: g.buyer.place.cp, ville: g.buyer.place.commune },
  };
  const initial: Record<string, unknown> = {
    description: { objet: g.title, lieuExecution: { cp: g.place.cp, ville: g.place.commune }, cpv: { principal: g.cpv[0] } },
    caracteristiques: { principales: t.description, ...(g.lots.length ? {} : { quantites: `Montant estimé : ${thousands(g.amount)} euros HT.` }) },
    ...(t.conditions ? { conditions: { conditionsExecution: t.conditions } } : {}),
    delais: { receptionOffres: `${g.deadline}T12:00:00` },
    criterePondere: t.criteria.map((c, i) => ({ critere: c, criterePCT: String(i === 0 ? 60 : 20) })),
    informComplementaire: { autresInformComplementaire: t.info },
    natureMarche: { valeurEstimee: { valeur: String(g.amount) } },
    nbMois: String(g.months),
  };
  if (g.lots.length) initial.lots = { lot: g.lots.map((l) => ({ numero: l.num, intitule: l.title, description: l.description, cpv: { principal: l.cpv }, lieuExecution: { cp: l.place.cp } })) };
  return { [form]: { organisme, initial } };
}

function boampRecord(g: GenNotice, r: Rng, shape: 'legacy' | 'form' | 'eforms'): Record<string, unknown> {
  const formalised = g.amount > 215000;
  const criteres = [...(g.texts.flags.clause && r.chance(0.7) ? ['sociaux'] : []), ...(g.texts.flags.env && r.chance(0.7) ? ['environnementaux'] : [])];
  let donnees: unknown;
  let gestion: unknown = null;
  if (shape === 'legacy') {
    donnees = toTree(boampDonnees(g, r));
    gestion = toTree(boampGestion(g, r));
  } else if (shape === 'form') donnees = mapaDonnees(g, r);
  else donnees = { EFORMS: { [g.award ? 'ContractAwardNotice' : 'ContractNotice']: toTree(eformsNotice(g, r)) } };
  // Most exports hold `donnees` and `gestion` as JSON strings; some give objects.
  const asString = r.chance(0.8);
  return {
    idweb: g.idweb,
    id: g.idweb.replace('-', '_'),
    contractfolderid: shape === 'eforms' ? g.uuid : null,
    objet: g.title,
    famille: shape === 'eforms' ? 'JOUE' : formalised ? 'FNS' : 'MAPA',
    famille_libelle: formalised ? 'Procédures formalisées' : 'Procédures adaptées (MAPA)',
    code_departement: [g.buyer.place.dep],
    code_departement_prestation: g.place.dep,
    dateparution: g.published,
    datefindiffusion: g.deadline,
    datelimitereponse: g.award ? null : `${g.deadline}T10:00:00+00:00`,
    nomacheteur: g.buyer.name.toUpperCase(),
    titulaire: g.award ? g.holders.map((h) => h.name) : null,
    perimetre: 'CMP-2006',
    type_procedure: formalised ? 'OUVERT' : 'ADAPTE',
    procedure_libelle: formalised ? 'Procédure ouverte' : 'Procédure adaptée',
    nature: g.award ? 'ATTRIBUTION' : 'APPEL_OFFRE',
    nature_libelle: g.award ? 'Résultat de marché' : 'Avis de marché',
    nature_categorise_libelle: g.award ? 'Avis d’attribution' : 'Avis de marché',
    criteres: criteres.length ? criteres : null,
    etat: 'INITIAL',
    descripteur_code: [String(100 + DOMAINS.indexOf(g.domain))],
    descripteur_libelle: [g.domain.lots[0]],
    type_marche: [g.domain.type],
    type_avis: [g.award ? 'Résultat de marché' : 'Avis de marché'],
    source_schema: shape === 'legacy' ? 'Boamp_v230' : shape === 'form' ? 'MAPA' : 'eforms',
    url_avis: `https://www.boamp.fr/pages/avis/?q=idweb:${g.idweb}`,
    gestion: gestion && asString ? JSON.stringify(gestion) : gestion,
    donnees: asString ? JSON.stringify(donnees) : donnees,
  };
}

// --- DECP 2024 records

const DECP_PROCEDURES = ['Procédure adaptée', 'Appel d\'offres ouvert', 'Marché passé sans publicité ni mise en concurrence préalable', 'Procédure avec négociation'];

function decpRecord(r: Rng, index: number, wrapped: boolean): { kind: 'marche' | 'concession'; record: Record<string, unknown> } {
  const domain = r.pick(DOMAINS);
  const place = r.pick(PLACES);
  const concession = r.chance(0.05);
  const social = r.chance(0.12);
  const env = r.chance(0.2);
  const verbose = r.chance(0.35);
  const objet = `${fill(r.pick(domain.titles), r)}${verbose ? ` - ${r.pick(domain.sentences)(r)}` : ''}${r.chance(0.15) ? ` ${r.pick(domain.sentences)(r)}` : ''}`;
  const list = (wrapper: string, values: string[]) => (wrapped ? { [wrapper]: values } : values);
  const holders = Array.from({ length: r.chance(0.15) ? r.int(2, 4) : 1 }, () => ({ typeIdentifiant: 'SIRET', id: r.digits(14), ...(r.chance(0.3) ? { denominationSociale: r.pick(COMPANIES) } : {}) }));
  const month = r.int(1, 12);
  const day = r.int(1, 28);
  const amount = r.chance(0.01) ? 1e17 : r.int(1, 4000) * 250;
  const typeCode = r.pick(['Code postal', 'Code commune', 'Code département']);
  const lieu = { code: typeCode === 'Code postal' ? place.cp : typeCode === 'Code commune' ? place.insee : place.dep, typeCode };
  const considerations = {
    considerationsSociales: list('considerationSociale', social ? r.sample(['Clause sociale', 'Critère social', 'Marché réservé'], r.int(1, 2)) : ['Pas de considération sociale']),
    considerationsEnvironnementales: list('considerationEnvironnementale', env ? r.sample(['Clause environnementale', 'Critère environnemental'], r.int(1, 2)) : ['Pas de considération environnementale']),
  };
  const id = `2024${r.digits(6)}${String(index).padStart(7, '0')}`;
  if (concession) {
    return {
      kind: 'concession',
      record: {
        id,
        autoriteConcedante: { id: `2${r.digits(13)}` },
        nature: r.pick(['Concession de service', 'Concession de travaux', 'Délégation de service public']),
        objet,
        procedure: 'Procédure négociée ouverte',
        dureeMois: r.int(24, 240),
        dateSignature: isoDate(2024, month, day),
        datePublicationDonnees: isoDate(2024, Math.min(12, month + 1), day),
        dateDebutExecution: isoDate(2024, Math.min(12, month + 1), 1),
        valeurGlobale: amount * 10,
        montantSubventionPublique: 0,
        donneesExecution: [{ donneesAnnuelles: { datePublicationDonneesExecution: isoDate(2024, 12, 1), depensesInvestissement: r.int(1, 900) * 1000, tarifs: [{ tarif: { intituleTarif: 'Tarif de base', tarif: r.int(1, 90) + 0.5 } }] } }],
        concessionnaires: wrapped ? holders.map((h) => ({ concessionnaire: h })) : holders,
        ...considerations,
        modifications: [],
      },
    };
  }
  return {
    kind: 'marche',
    record: {
      id,
      ...(wrapped ? {} : { _type: 'Marché' }),
      acheteur: { id: r.chance(0.02) ? Number(`2${r.digits(12)}`) : `2${r.digits(13)}` },
      nature: r.pick(['Marché', 'Marché', 'Accord-cadre', 'Marché subséquent']),
      objet,
      codeCPV: r.chance(0.5) ? `${r.pick(domain.cpv)}-${r.int(0, 9)}` : r.pick(domain.cpv),
      technique: r.chance(0.2) ? ['Accord-cadre'] : [],
      modaliteExecution: r.chance(0.3) ? ['Bons de commande'] : [],
      idAccordCadre: null,
      marcheInnovant: false,
      ccag: r.pick(['Fournitures courantes et services', 'Travaux', 'Prestations intellectuelles', 'Pas de CCAG']),
      offresRecues: r.int(1, 12),
      attributionAvance: r.chance(0.3),
      tauxAvance: 0.05,
      typeGroupementOperateurs: holders.length > 1 ? 'Conjoint' : 'Pas de groupement',
      sousTraitanceDeclaree: r.chance(0.1),
      actesSousTraitance: [],
      procedure: r.pick(DECP_PROCEDURES),
      lieuExecution: lieu,
      dureeMois: r.chance(0.02) ? 'NC' : r.int(1, 48),
      dateNotification: isoDate(2024, month, day),
      datePublicationDonnees: isoDate(2024, Math.min(12, month + 1), day),
      montant: amount,
      typesPrix: wrapped ? { typePrix: ['Définitif ferme'] } : ['Définitif ferme'],
      formePrix: r.pick(['Unitaire', 'Forfaitaire', 'Mixte']),
      origineUE: 0,
      origineFrance: 0,
      titulaires: wrapped ? holders.map((h) => ({ titulaire: h })) : holders,
      ...considerations,
      modificationsActesSousTraitance: [],
      modifications: r.chance(0.1) ? [{ modification: { id: 1, dateNotificationModification: isoDate(2024, 12, 2), datePublicationDonneesModification: isoDate(2024, 12, 9), montant: amount * 1.1, dureeMois: 24 } }] : [],
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Writing the set

interface DataSet {
  dir: string;
  folders: Record<NoticeFormat, string>;
  counts: Record<NoticeFormat, number>;
  bytes: Record<NoticeFormat, number>;
}

/** Writes lines to a file through a buffer of a few megabytes. */
class Writer {
  private fd: number;
  private parts: string[] = [];
  private size = 0;
  bytes = 0;
  constructor(file: string) {
    this.fd = fs.openSync(file, 'w');
  }
  write(s: string) {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 4_000_000) this.flush();
  }
  private flush() {
    const buf = Buffer.from(this.parts.join(''));
    fs.writeSync(this.fd, buf);
    this.bytes += buf.length;
    this.parts = [];
    this.size = 0;
  }
  close(): number {
    this.flush();
    fs.closeSync(this.fd);
    return this.bytes;
  }
}

const SHAPES = ['legacy', 'legacy', 'legacy', 'form', 'form', 'eforms'] as const;

/** A BOAMP open-data JSON array (or JSON lines) of `count` records from index `from`. */
function writeBoampJson(file: string, r: Rng, from: number, count: number, lines: boolean, prefix: string): number {
  const w = new Writer(file);
  if (!lines) w.write('[\n');
  for (let i = 0; i < count; i++) {
    const g = genNotice(r, from + i, prefix);
    const json = JSON.stringify(boampRecord(g, r, r.pick(SHAPES)));
    w.write(lines ? `${json}\n` : `${i ? ',\n' : ''}${json}`);
  }
  if (!lines) w.write('\n]\n');
  return w.close();
}

function writeDecp(file: string, r: Rng, from: number, count: number, official: boolean, pretty: boolean): number {
  const w = new Writer(file);
  const marches: string[] = [];
  const concessions: string[] = [];
  const indent = pretty ? 2 : undefined;
  // Records are kept as text until the end of their list (a DECP file is one document).
  const flushLists = () => {
    if (official) {
      w.write(`{"marches": {"marche": [\n${marches.join(',\n')}\n], "contrat-concession": [\n${concessions.join(',\n')}\n]}}\n`);
    } else w.write(`{"marches": [\n${marches.join(',\n')}\n]}\n`);
  };
  for (let i = 0; i < count; i++) {
    const { kind, record } = decpRecord(r, from + i, official);
    const json = JSON.stringify(record, null, indent);
    if (kind === 'concession' && official) concessions.push(json);
    else marches.push(json);
  }
  flushLists();
  return w.close();
}

function xmlDocument(root: El, indent: string): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  toXml(root, out, 0, indent);
  return out.join('');
}

function generateSet(total: number): DataSet {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelles-bench-notices-'));
  const folders = Object.fromEntries(['boamp', 'boamp-xml', 'eforms', 'decp'].map((f) => [f, path.join(dir, f)])) as Record<NoticeFormat, string>;
  for (const f of Object.values(folders)) fs.mkdirSync(f);
  // A year of French notices holds more DECP records than BOAMP notices; BOAMP XML and eForms XML are the
  // other two feeds of the same notices.
  const share = { boamp: 0.4, 'boamp-xml': 0.1, eforms: 0.1, decp: 0.4 };
  const counts = Object.fromEntries(Object.entries(share).map(([k, s]) => [k, Math.round(total * s)])) as Record<NoticeFormat, number>;
  counts.decp = total - counts.boamp - counts['boamp-xml'] - counts.eforms;
  const bytes = { boamp: 0, 'boamp-xml': 0, eforms: 0, decp: 0 } as Record<NoticeFormat, number>;
  const r = prng(20241126);

  // BOAMP open data: two arrays and one file of JSON lines.
  const third = Math.floor(counts.boamp / 3);
  bytes.boamp += writeBoampJson(path.join(folders.boamp, 'boamp-2024-a.json'), r, 0, third, false, '24');
  bytes.boamp += writeBoampJson(path.join(folders.boamp, 'boamp-2024-b.json'), r, third, third, false, '24');
  bytes.boamp += writeBoampJson(path.join(folders.boamp, 'boamp-2024-c.jsonl'), r, 2 * third, counts.boamp - 2 * third, true, '24');

  // BOAMP XML: one notice per file, as the DILA feed delivers them.
  for (let i = 0; i < counts['boamp-xml']; i++) {
    const g = genNotice(r, i, '23');
    const text = xmlDocument(el('ANNONCE', [boampGestion(g, r), boampDonnees(g, r)], { 'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', 'xsi:noNamespaceSchemaLocation': 'http://schemas.journal-officiel.gouv.fr/schemabook/boamp/Boamp_v230.xsd' }), '  ');
    const file = path.join(folders['boamp-xml'], `${g.idweb}.xml`);
    fs.writeFileSync(file, text);
    bytes['boamp-xml'] += Buffer.byteLength(text);
  }

  // eForms: one notice per file (TED and BOAMP deliver them so).
  for (let i = 0; i < counts.eforms; i++) {
    const g = genNotice(r, i, '22');
    const text = xmlDocument(eformsNotice(g, r), '\t');
    fs.writeFileSync(path.join(folders.eforms, `${g.uuid}.xml`), text);
    bytes.eforms += Buffer.byteLength(text);
  }

  // DECP: the official envelope (pretty-printed, as the examples) and the flat real-world one (compact).
  const half = Math.floor(counts.decp / 2);
  bytes.decp += writeDecp(path.join(folders.decp, 'decp-2024-officiel.json'), r, 0, half, true, true);
  bytes.decp += writeDecp(path.join(folders.decp, 'decp-2024-flux.json'), r, half, counts.decp - half, false, false);
  return { dir, folders, counts, bytes };
}

/** A large file for the memory measure: a BOAMP JSON array or a DECP file of at least `mb` megabytes. */
function writeBig(dir: string, kind: 'boamp' | 'decp', mb: number): { file: string; bytes: number; records: number } {
  const file = path.join(dir, kind === 'boamp' ? 'big-boamp.json' : 'big-decp.json');
  const r = prng(kind === 'boamp' ? 7 : 8);
  const w = new Writer(file);
  let records = 0;
  let size = 0;
  if (kind === 'boamp') {
    w.write('[\n');
    while (size < mb * 1e6) {
      const g = genNotice(r, records, '21');
      const json = `${records ? ',\n' : ''}${JSON.stringify(boampRecord(g, r, r.pick(SHAPES)))}`;
      w.write(json);
      size += Buffer.byteLength(json);
      records++;
    }
    w.write('\n]\n');
  } else {
    w.write('{"marches": [\n');
    while (size < mb * 1e6) {
      const json = `${records ? ',\n' : ''}${JSON.stringify(decpRecord(r, records, true).record)}`;
      w.write(json);
      size += Buffer.byteLength(json);
      records++;
    }
    w.write('\n]}\n');
  }
  return { file, bytes: w.close(), records };
}


// ---------------------------------------------------------------------------------------------------
// Measures

const FORMATS: NoticeFormat[] = ['boamp', 'boamp-xml', 'eforms', 'decp'];

const filesOf = (folder: string) =>
  fs
    .readdirSync(folder)
    .sort()
    .map((f) => path.join(folder, f));

/** Reads a folder with readNotices; `classify`: each notice is classified too. */
async function readRun(format: NoticeFormat, folder: string, classify: boolean): Promise<{ ms: number; notices: number; errors: number }> {
  const t = performance.now();
  let notices = 0;
  let errors = 0;
  for await (const item of readNotices(format, folder)) {
    if (!item.ok) {
      errors++;
      continue;
    }
    notices++;
    if (classify) classifyNotice(item.notice);
  }
  return { ms: performance.now() - t, notices, errors };
}

/** Baseline 1: the bytes of the files, read whole. */
function bytesRun(folder: string): number {
  const t = performance.now();
  let size = 0;
  for (const file of filesOf(folder)) size += fs.readFileSync(file).length;
  if (size === 0) throw new Error('empty folder');
  return performance.now() - t;
}

/** Baseline 2: the records parsed by the platform's parser alone (JSON.parse, the nested `donnees` too; saxes for XML). */
function parseRun(format: NoticeFormat, folder: string): number {
  const t = performance.now();
  let records = 0;
  const nested = (x: Record<string, unknown>) => {
    if (typeof x.donnees === 'string') JSON.parse(x.donnees);
    if (typeof x.gestion === 'string') JSON.parse(x.gestion);
    records++;
  };
  for (const file of filesOf(folder)) {
    const text = fs.readFileSync(file, 'utf8');
    if (format === 'boamp' && file.endsWith('.jsonl')) for (const line of text.split('\n')) line && nested(JSON.parse(line));
    else if (format === 'boamp') for (const x of JSON.parse(text)) nested(x);
    else if (format === 'decp') {
      const doc = JSON.parse(text);
      records += Array.isArray(doc.marches) ? doc.marches.length : doc.marches.marche.length + doc.marches['contrat-concession'].length;
    } else {
      const parser = new SaxesParser({ xmlns: format === 'eforms', position: true });
      parser.on('closetag', () => records++);
      parser.write(text).close();
    }
  }
  if (records === 0) throw new Error('nothing parsed');
  return performance.now() - t;
}

interface FormatFigures {
  format: NoticeFormat;
  notices: number;
  megabytes: number;
  readMs: number;
  classifyMs: number;
  bytesMs: number;
  parseMs: number;
}

const median = (xs: number[]) => percentile(xs, 50);
const perSecond = (count: number, ms: number) => (count * 1000) / ms;

async function inMemory(set: DataSet, runs: number): Promise<FormatFigures[]> {
  const samples = Object.fromEntries(FORMATS.map((f) => [f, { read: [] as number[], classify: [] as number[], bytes: [] as number[], parse: [] as number[], notices: 0 }]));
  for (let run = 0; run < runs; run++) {
    for (const format of FORMATS) {
      const folder = set.folders[format];
      const s = samples[format];
      s.bytes.push(bytesRun(folder));
      s.parse.push(parseRun(format, folder));
      const read = await readRun(format, folder, false);
      const classified = await readRun(format, folder, true);
      if (read.errors || classified.errors || read.notices !== set.counts[format]) throw new Error(`${format}: ${read.notices} notices read, ${read.errors} errors`);
      s.read.push(read.ms);
      s.classify.push(classified.ms);
      s.notices = read.notices;
    }
    process.stdout.write(`  run ${run + 1}/${runs}: ${FORMATS.map((f) => `${f} ${Math.round(perSecond(set.counts[f], samples[f].classify[run]))}/s`).join(', ')}\n`);
  }
  return FORMATS.map((format) => {
    const s = samples[format];
    return { format, notices: s.notices, megabytes: set.bytes[format] / 1e6, readMs: median(s.read), classifyMs: median(s.classify), bytesMs: median(s.bytes), parseMs: median(s.parse) };
  });
}

/** What the set holds once read: flags found, text length per notice (for the record of the bench). */
async function describeSet(set: DataSet) {
  const lengths: number[] = [];
  const flags = { reserved: 0, socialClause: 0, socialCriterion: 0, environmental: 0, insertionHours: 0 };
  let total = 0;
  for (const format of FORMATS) {
    for await (const item of readNotices(format, set.folders[format])) {
      if (!item.ok) throw new Error(`${format} ${item.position}: ${item.message}`);
      total++;
      if (format !== 'decp') lengths.push(item.notice.texts.reduce((s, t) => s + t.text.length, 0));
      const c = classifyNotice(item.notice);
      if (c.reserved.length) flags.reserved++;
      if (c.socialClause) flags.socialClause++;
      if (c.socialCriterion) flags.socialCriterion++;
      if (c.environmental) flags.environmental++;
      if (c.insertionHours) flags.insertionHours++;
    }
  }
  return {
    notices: total,
    textCharsPerNotice: { p10: percentile(lengths, 10), p50: percentile(lengths, 50), p90: percentile(lengths, 90), max: percentile(lengths, 100) },
    flagged: Object.fromEntries(Object.entries(flags).map(([k, v]) => [k, `${((100 * v) / total).toFixed(1)} %`])),
  };
}

async function importOn(engine: 'pglite' | 'pg', set: DataSet, runs: number) {
  const first: number[] = [];
  const again: number[] = [];
  const perFormat: Record<string, number[]> = {};
  let total = 0;
  for (let run = 0; run < runs; run++) {
    const { db, dataDir } = await freshDb(engine, 'passerelles_bench_notices');
    let t0 = performance.now();
    total = 0;
    for (const format of FORMATS) {
      const t = performance.now();
      const report = await importNotices(db, readNotices(format, set.folders[format]));
      if (report.inserted !== set.counts[format] || report.rejected.length) throw new Error(`${engine} ${format}: ${JSON.stringify({ ...report, rejected: report.rejected.slice(0, 3) })}`);
      (perFormat[format] ??= []).push(perSecond(report.inserted, performance.now() - t));
      total += report.inserted;
    }
    first.push(performance.now() - t0);
    t0 = performance.now();
    for (const format of FORMATS) {
      const report = await importNotices(db, readNotices(format, set.folders[format]));
      if (report.unchanged !== set.counts[format]) throw new Error(`${engine} ${format}: the second import changed ${report.inserted + report.updated} notices`);
    }
    again.push(performance.now() - t0);
    await db.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    console.log(`  ${engine} run ${run + 1}/${runs}: first import ${(first[run] / 1000).toFixed(1)} s (${Math.round(perSecond(total, first[run]))}/s), again ${(again[run] / 1000).toFixed(1)} s (${Math.round(perSecond(total, again[run]))}/s)`);
  }
  if (engine === 'pg') await dropScratch();
  return {
    engine,
    runs,
    notices: total,
    firstImportSeconds: median(first) / 1000,
    firstImportPerSecond: perSecond(total, median(first)),
    againSeconds: median(again) / 1000,
    againPerSecond: perSecond(total, median(again)),
    perFormatPerSecond: Object.fromEntries(Object.entries(perFormat).map(([k, v]) => [k, median(v)])),
  };
}

async function dropScratch() {
  const { default: pg } = await import('pg');
  const { PG_URL } = await import('./lib.ts');
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS passerelles_bench_notices WITH (FORCE)');
  await admin.end();
}

// --- memory, each measure in its own process

interface MemoryFigures {
  what: string;
  fileMegabytes: number;
  records: number;
  seconds: number;
  startRssMb: number;
  peakRssMb: number;
  peakLiveHeapMb: number;
}

function child(args: string[]): Promise<MemoryFigures> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...process.execArgv, THIS_FILE, '--child', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (codeValue) => (codeValue === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`child ${args.join(' ')} exited with ${codeValue}`))));
  });
}

async function childMain(args: string[]) {
  v8.setFlagsFromString('--expose_gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  const mb = (x: number) => x / 1048576;
  const start = process.memoryUsage().rss;
  const t = performance.now();
  let records = 0;
  let peakHeap = 0;
  const [mode, file, format] = args;
  if (mode === 'stream') {
    for await (const item of readNotices(format as NoticeFormat, file)) {
      if (!item.ok) throw new Error(item.message);
      classifyNotice(item.notice);
      if (++records % 2000 === 0) {
        gc();
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      }
    }
  } else {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    records = Array.isArray(doc) ? doc.length : 0;
    peakHeap = process.memoryUsage().heapUsed;
  }
  const figures: MemoryFigures = {
    what: mode === 'stream' ? `readNotices + classifyNotice, ${format}` : 'JSON.parse of the whole file (baseline)',
    fileMegabytes: fs.statSync(file).size / 1e6,
    records,
    seconds: (performance.now() - t) / 1000,
    startRssMb: mb(start),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    peakLiveHeapMb: mb(peakHeap),
  };
  console.log(JSON.stringify(figures));
}

// ---------------------------------------------------------------------------------------------------
// Main

const fmt = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main() {
  const total = Number(process.env.BENCH_NOTICES ?? 50000);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const importRuns = Number(process.env.BENCH_IMPORT_RUNS ?? 1);
  const bigMb = Number(process.env.BENCH_BIG_MB ?? 300);
  const parts = new Set((process.env.BENCH_PARTS ?? 'memory,import,streaming').split(','));
  const started = performance.now();

  let t = performance.now();
  const set = generateSet(total);
  console.log(`generated ${fmt(total)} notices in ${((performance.now() - t) / 1000).toFixed(1)} s in ${set.dir}:`);
  for (const f of FORMATS) console.log(`  ${f.padEnd(10)} ${fmt(set.counts[f]).padStart(7)} notices  ${fmt(set.bytes[f] / 1e6, 1).padStart(7)} MB  ${fs.readdirSync(set.folders[f]).length} file(s)`);
  const description = await describeSet(set);
  console.log(`  text per notice (BOAMP, eForms): p10 ${description.textCharsPerNotice.p10}, median ${description.textCharsPerNotice.p50}, p90 ${description.textCharsPerNotice.p90} characters; flagged: ${JSON.stringify(description.flagged)}`);

  console.log(`\nin memory (${runs} runs, medians):`);
  const figures = parts.has('memory') ? await inMemory(set, runs) : [];
  const all = figures.reduce(
    (s, f) => ({ notices: s.notices + f.notices, megabytes: s.megabytes + f.megabytes, readMs: s.readMs + f.readMs, classifyMs: s.classifyMs + f.classifyMs, bytesMs: s.bytesMs + f.bytesMs, parseMs: s.parseMs + f.parseMs }),
    { notices: 0, megabytes: 0, readMs: 0, classifyMs: 0, bytesMs: 0, parseMs: 0 },
  );
  const rows = [...figures, { format: 'all' as const, ...all }];
  console.log(`\n| format | notices | MB | read: notices/s (MB/s) | read + classify: notices/s (MB/s) | parser alone (baseline) | read + classify / parser alone |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const f of rows) {
    console.log(
      `| ${f.format} | ${fmt(f.notices)} | ${fmt(f.megabytes, 1)} | ${fmt(perSecond(f.notices, f.readMs))} (${fmt(perSecond(f.megabytes, f.readMs), 1)}) | ${fmt(perSecond(f.notices, f.classifyMs))} (${fmt(perSecond(f.megabytes, f.classifyMs), 1)}) | ${fmt(perSecond(f.notices, f.parseMs))}/s, ${fmt(perSecond(f.megabytes, f.parseMs), 1)} MB/s (bytes alone ${fmt(perSecond(f.megabytes, f.bytesMs))} MB/s) | ${(f.classifyMs / f.parseMs).toFixed(1)}× the time |`,
    );
  }

  const engines: ('pglite' | 'pg')[] = process.env.BENCH_ENGINES ? (process.env.BENCH_ENGINES.split(',') as ('pglite' | 'pg')[]) : ['pglite', ...((await pgAvailable()) ? (['pg'] as const) : [])];
  console.log(`\nimport into a fresh database (${importRuns} run(s)), then the same files again:`);
  const imports: Awaited<ReturnType<typeof importOn>>[] = [];
  if (parts.has('import')) for (const engine of engines) imports.push(await importOn(engine, set, importRuns));
  console.log('\n| import | PostgreSQL | PGlite |\n|---|---|---|');
  const byEngine = (e: string) => imports.find((i) => i.engine === e);
  const cell = (e: string, f: (x: (typeof imports)[number]) => string) => (byEngine(e) ? f(byEngine(e)!) : '—');
  console.log(`| ${fmt(total)} notices, first import | ${cell('pg', (x) => `${fmt(x.firstImportPerSecond)}/s (${x.firstImportSeconds.toFixed(1)} s)`)} | ${cell('pglite', (x) => `${fmt(x.firstImportPerSecond)}/s (${x.firstImportSeconds.toFixed(1)} s)`)} |`);
  console.log(`| the same files again (all unchanged) | ${cell('pg', (x) => `${fmt(x.againPerSecond)}/s (${x.againSeconds.toFixed(1)} s)`)} | ${cell('pglite', (x) => `${fmt(x.againPerSecond)}/s (${x.againSeconds.toFixed(1)} s)`)} |`);
  for (const f of FORMATS) console.log(`| first import, ${f} | ${cell('pg', (x) => `${fmt(x.perFormatPerSecond[f])}/s`)} | ${cell('pglite', (x) => `${fmt(x.perFormatPerSecond[f])}/s`)} |`);

  console.log(`\nmemory while streaming (each in its own process; files of ${bigMb} MB):`);
  const memory: MemoryFigures[] = [];
  if (parts.has('streaming')) {
    t = performance.now();
    const bigBoamp = writeBig(set.dir, 'boamp', bigMb);
    const bigDecp = writeBig(set.dir, 'decp', bigMb);
    console.log(`  large files written in ${((performance.now() - t) / 1000).toFixed(1)} s: BOAMP ${fmt(bigBoamp.bytes / 1e6)} MB (${fmt(bigBoamp.records)} records), DECP ${fmt(bigDecp.bytes / 1e6)} MB (${fmt(bigDecp.records)} records)`);
    memory.push(await child(['stream', bigBoamp.file, 'boamp']), await child(['stream', bigDecp.file, 'decp']), await child(['parse', path.join(set.folders.boamp, 'boamp-2024-a.json')]));
  }
  console.log('\n| memory | file | records | time | RSS at start | peak RSS | peak live heap |\n|---|---|---|---|---|---|---|');
  for (const m of memory) {
    console.log(`| ${m.what} | ${fmt(m.fileMegabytes)} MB | ${fmt(m.records)} | ${m.seconds.toFixed(1)} s (${fmt(m.records / m.seconds)}/s) | ${fmt(m.startRssMb)} MB | ${fmt(m.peakRssMb)} MB | ${fmt(m.peakLiveHeapMb)} MB |`);
  }

  const file = writeResults('notices', {
    notices: total,
    runs,
    set: {
      counts: set.counts,
      megabytes: Object.fromEntries(FORMATS.map((f) => [f, set.bytes[f] / 1e6])),
      ...description,
    },
    inMemory: rows.map((f) => ({
      format: f.format,
      notices: f.notices,
      megabytes: f.megabytes,
      readPerSecond: perSecond(f.notices, f.readMs),
      readMegabytesPerSecond: perSecond(f.megabytes, f.readMs),
      readClassifyPerSecond: perSecond(f.notices, f.classifyMs),
      readClassifyMegabytesPerSecond: perSecond(f.megabytes, f.classifyMs),
      baselineParserPerSecond: perSecond(f.notices, f.parseMs),
      baselineParserMegabytesPerSecond: perSecond(f.megabytes, f.parseMs),
      baselineBytesMegabytesPerSecond: perSecond(f.megabytes, f.bytesMs),
      readClassifyOverParser: f.classifyMs / f.parseMs,
    })),
    imports,
    memory,
    targets: {
      readClassifyPerSecond: 5000,
      importPerSecondPostgres: 1000,
      met: {
        readClassify: perSecond(all.notices, all.classifyMs) >= 5000,
        importPostgres: byEngine('pg') ? byEngine('pg')!.firstImportPerSecond >= 1000 : null,
      },
    },
    totalSeconds: (performance.now() - started) / 1000,
  });
  const yesNo = (met: boolean | null) => (met === null ? 'not measured' : met ? 'met' : 'NOT met');
  console.log(
    `\ntargets: read + classify ≥ 5,000 notices/s in memory: ${figures.length ? `${fmt(perSecond(all.notices, all.classifyMs))}/s, ${yesNo(perSecond(all.notices, all.classifyMs) >= 5000)}` : 'not measured'}; ` +
      `import ≥ 1,000 notices/s into PostgreSQL: ${byEngine('pg') ? `${fmt(byEngine('pg')!.firstImportPerSecond)}/s, ${yesNo(byEngine('pg')!.firstImportPerSecond >= 1000)}` : 'not measured'}; ` +
      `streaming: ${memory.length ? memory.filter((m) => m.what.startsWith('read')).map((m) => `peak RSS ${fmt(m.peakRssMb)} MB for a ${fmt(m.fileMegabytes)} MB file`).join(', ') : 'not measured'}`,
  );
  if (!process.env.BENCH_KEEP) fs.rmSync(set.dir, { recursive: true, force: true });
  console.log(`\nwritten ${file} (total ${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await childMain(argv.slice(1));
else if (argv[0] === '--generate') {
  // Only the set, kept (for profiling): tsx bench/notices.ts --generate [count]
  const set = generateSet(Number(argv[1] ?? 50000));
  console.log(JSON.stringify(set, null, 2));
} else await main();
