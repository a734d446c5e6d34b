# ruff: noqa: E501 (sentences of the generated requests are data: one per line, however long)
"""Realistic, varied texts for generated tickets: what school staff write to the help desk, in French and
Arabic, and what the desks answer.

A request is built from pieces: a subject template of its category's family, then a description of a
greeting, sometimes who writes, the problem, one or two details, what was tried, sometimes the urgency, and a
closing; a few add a line in the other language. Templates carry slots (a class, a subject taught, a term,
an error message, a student's Massar code…) filled per ticket, so that millions of tickets read like many
different people wrote them while the vocabulary stays that of the domain (keyword search has real work).

The word columns of a ticket (`tickets/search.py`) are `core.text.word_document`s of its texts: the
description is its sentences joined by spaces (or a blank line before a line in the other language), and the
words of parts joined by whitespace are the parts' own words one after the other, so the loader finds each
sentence's words once (`Folder`) and joins them. tests/test_bench.py checks that the two agree on thousands
of generated tickets.
"""

import random
import string

from musanada.core.text import word_document

FR, AR = "fr", "ar"

# Slot values ----------------------------------------------------------------------------------------------

_SLOTS = {
    FR: {
        "matiere": [
            "mathématiques",
            "français",
            "arabe",
            "anglais",
            "physique-chimie",
            "SVT",
            "histoire-géographie",
            "éducation islamique",
            "philosophie",
            "informatique",
            "éducation physique",
            "éducation artistique",
        ],
        "niveau": [
            "1re année primaire",
            "2e année primaire",
            "3e année primaire",
            "4e année primaire",
            "5e année primaire",
            "6e année primaire",
            "1re année du collège",
            "2e année du collège",
            "3e année du collège",
            "tronc commun",
            "1re année du bac",
            "2e année du bac",
        ],
        "semestre": ["premier semestre", "second semestre"],
        "controle": [
            "premier contrôle",
            "deuxième contrôle",
            "troisième contrôle",
            "contrôle continu",
            "examen local",
            "examen normalisé",
        ],
        "message": [
            "« Erreur interne du serveur »",
            "« Session expirée »",
            "« Accès refusé »",
            "« Une erreur inattendue s'est produite »",
            "« Données invalides »",
            "« Service indisponible »",
            "« Opération non autorisée »",
            "« Délai de traitement dépassé »",
        ],
        "navigateur": ["Chrome", "Firefox", "Edge", "Opera"],
        "appareil": [
            "l'imprimante HP LaserJet du secrétariat",
            "l'imprimante Canon de la salle des professeurs",
            "l'imprimante Epson de la direction",
            "le photocopieur de l'administration",
            "l'imprimante réseau de la salle informatique",
            "l'imprimante du bureau des surveillants",
        ],
        "salle": [
            "la salle informatique",
            "la salle des professeurs",
            "le secrétariat",
            "le bureau du directeur",
            "le bureau du surveillant général",
            "la bibliothèque",
            "la salle multimédia",
        ],
        "jour": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
        "app": ["Moudaris", "Waliye", "Moutamadris"],
        "n": [str(n) for n in range(2, 43)],
    },
    AR: {
        "matiere": [
            "الرياضيات",
            "اللغة الفرنسية",
            "اللغة العربية",
            "اللغة الإنجليزية",
            "الفيزياء والكيمياء",
            "علوم الحياة والأرض",
            "الاجتماعيات",
            "التربية الإسلامية",
            "الفلسفة",
            "المعلوميات",
            "التربية البدنية",
            "التربية التشكيلية",
        ],
        "niveau": [
            "المستوى الأول ابتدائي",
            "المستوى الثاني ابتدائي",
            "المستوى الثالث ابتدائي",
            "المستوى الرابع ابتدائي",
            "المستوى الخامس ابتدائي",
            "المستوى السادس ابتدائي",
            "السنة الأولى إعدادي",
            "السنة الثانية إعدادي",
            "السنة الثالثة إعدادي",
            "الجذع المشترك",
            "السنة الأولى باكالوريا",
            "السنة الثانية باكالوريا",
        ],
        "semestre": ["الأسدس الأول", "الأسدس الثاني"],
        "controle": [
            "الفرض الأول",
            "الفرض الثاني",
            "الفرض الثالث",
            "المراقبة المستمرة",
            "الامتحان المحلي",
            "الامتحان الموحد",
        ],
        "message": [
            "«خطأ داخلي في الخادم»",
            "«انتهت صلاحية الجلسة»",
            "«الولوج مرفوض»",
            "«حدث خطأ غير متوقع»",
            "«معطيات غير صحيحة»",
            "«الخدمة غير متوفرة»",
            "«عملية غير مسموح بها»",
            "«تم تجاوز مهلة المعالجة»",
        ],
        "navigateur": ["كروم", "فايرفوكس", "إيدج", "أوبرا"],
        "appareil": [
            "طابعة الكتابة العامة",
            "طابعة قاعة الأساتذة",
            "طابعة الإدارة",
            "آلة النسخ بالإدارة",
            "طابعة قاعة المعلوميات",
            "طابعة مكتب الحراسة العامة",
        ],
        "salle": [
            "قاعة المعلوميات",
            "قاعة الأساتذة",
            "الكتابة العامة",
            "مكتب المدير",
            "مكتب الحارس العام",
            "الخزانة المدرسية",
            "قاعة الوسائط المتعددة",
        ],
        "jour": ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت"],
        "app": ["مدرس", "ولي", "متمدرس"],
        "n": [str(n) for n in range(2, 43)],
    },
}
_CLASS_FR = [
    f"{level}-{group}"
    for level in ("1AC", "2AC", "3AC", "TC", "1BAC", "2BAC", "CE5", "CE6")
    for group in range(1, 7)
]
_CLASS_AR = [f"{level}/{group}" for level in range(1, 7) for group in range(1, 7)]
_SLOTS[FR]["classe"] = _CLASS_FR
_SLOTS[AR]["classe"] = _CLASS_AR


class _Slots(dict):
    """A ticket's slot values, drawn when a template first asks for one: the subject and the description of
    one ticket speak of the same class, term and subject taught."""

    def __init__(self, rng: random.Random, lang: str):
        super().__init__()
        self.rng = rng
        self.values = _SLOTS[lang]

    def __missing__(self, key):
        if key == "code":
            # A Massar student code: one letter and nine digits.
            value = self.rng.choice("DEFGHJKMNPRS") + str(self.rng.randrange(100_000_000, 999_999_999))
        else:
            values = self.values[key]
            value = values[int(self.rng.random() * len(values))]
        self[key] = value
        return value


# The requests, by family of categories ------------------------------------------------------------------
# Each family: subjects, problems (the sentence that says what is wrong), details, and what was tried.

FAMILIES = {
    "grades": {
        FR: {
            "subjects": [
                "Impossible de saisir les notes du {controle} en {matiere}",
                "Notes du {semestre} disparues après validation",
                "Bouton « Valider » grisé dans la saisie des notes",
                "Moyenne erronée pour un élève de {classe}",
                "Demande de réouverture de la saisie des notes ({classe})",
                "Erreur à l'import du fichier Excel des notes",
                "Coefficient de {matiere} incorrect en {niveau}",
                "Notes de la classe {classe} non enregistrées sur Massar",
            ],
            "problems": [
                "Je n'arrive pas à enregistrer les notes du {controle} de la classe {classe} : le message {message} s'affiche à chaque tentative.",
                "Après avoir validé les notes du {semestre}, la page affiche des cases vides pour {n} élèves.",
                "Le bouton de validation reste grisé alors que toutes les notes de {matiere} sont saisies.",
                "La moyenne calculée par Massar pour un élève de {classe} ne correspond pas aux notes saisies.",
                "La saisie des notes a été clôturée avant que je termine la classe {classe}.",
                "Le fichier Excel exporté depuis Massar est refusé à l'import avec le message {message}.",
                "Le coefficient de {matiere} affiché en {niveau} n'est pas celui de la note ministérielle.",
                "Les notes de la classe {classe} saisies {jour} ne sont pas enregistrées : Massar affiche {message}.",
            ],
            "details": [
                "Il s'agit de la classe {classe}, {niveau}, pour le {semestre}.",
                "Le problème concerne l'élève dont le code Massar est {code}.",
                "Les autres classes que j'enseigne ne posent aucun problème.",
                "Le délai de remise des notes fixé par la direction est {jour}.",
                "Les notes ont bien été saisies une première fois {jour}.",
                "J'enseigne {matiere} à {n} élèves dans cette classe.",
            ],
            "tried": [
                "J'ai essayé avec {navigateur} et avec un autre ordinateur, sans résultat.",
                "J'ai vidé le cache du navigateur et je me suis reconnecté.",
                "J'ai réessayé en dehors des heures de pointe, le soir.",
            ],
        },
        AR: {
            "subjects": [
                "تعذر إدخال نقط {controle} في مادة {matiere}",
                "اختفاء نقط {semestre} بعد المصادقة عليها",
                "زر المصادقة على النقط غير مفعل",
                "معدل خاطئ لتلميذ بالقسم {classe}",
                "طلب إعادة فتح عملية مسك النقط للقسم {classe}",
                "خطأ عند استيراد ملف النقط",
                "معامل مادة {matiere} غير صحيح في {niveau}",
                "نقط القسم {classe} لم تحفظ في منظومة مسار",
            ],
            "problems": [
                "لا أستطيع حفظ نقط {controle} للقسم {classe}، إذ تظهر رسالة {message} في كل محاولة.",
                "بعد المصادقة على نقط {semestre} ظهرت الخانات فارغة بالنسبة لـ {n} تلميذا.",
                "يبقى زر المصادقة رماديا رغم إدخال جميع نقط مادة {matiere}.",
                "المعدل الذي تحتسبه المنظومة لتلميذ بالقسم {classe} لا يطابق النقط المدخلة.",
                "أغلقت عملية مسك النقط قبل أن أنهي إدخال نقط القسم {classe}.",
                "يرفض النظام ملف النقط المستخرج من مسار مع ظهور رسالة {message}.",
                "معامل مادة {matiere} المعروض في {niveau} لا يوافق ما جاء في المذكرة الوزارية.",
                "النقط التي أدخلتها يوم {jour} للقسم {classe} لم تحفظ، وتظهر رسالة {message}.",
            ],
            "details": [
                "يتعلق الأمر بالقسم {classe}، {niveau}، برسم {semestre}.",
                "المشكل يخص التلميذ صاحب الرمز {code}.",
                "باقي الأقسام التي أدرسها لا تعرف أي مشكل.",
                "آخر أجل لتسليم النقط حددته الإدارة يوم {jour}.",
                "سبق أن أدخلت النقط مرة أولى يوم {jour}.",
                "أدرس مادة {matiere} لـ {n} تلميذا في هذا القسم.",
            ],
            "tried": [
                "جربت متصفح {navigateur} وحاسوبا آخر دون نتيجة.",
                "قمت بمسح ذاكرة المتصفح وأعدت تسجيل الدخول.",
                "أعدت المحاولة مساء خارج أوقات الذروة.",
            ],
        },
    },
    "registration": {
        FR: {
            "subjects": [
                "Élève transféré absent de la liste des arrivants",
                "Correction de la date de naissance d'un élève",
                "Demande de transfert bloquée depuis {jour}",
                "Élève inscrit deux fois dans deux établissements",
                "Changement de classe impossible pour un élève de {niveau}",
                "Nom d'un élève mal orthographié sur Massar",
            ],
            "problems": [
                "Un élève transféré chez nous n'apparaît toujours pas dans la liste des arrivants, nous ne pouvons pas l'affecter à la classe {classe}.",
                "La date de naissance enregistrée pour l'élève {code} ne correspond pas à son acte de naissance.",
                "La demande de transfert de l'élève {code} reste « en attente » depuis {jour}.",
                "Le même élève figure dans notre établissement et dans un autre établissement de la province.",
                "Massar refuse de changer la classe d'un élève de {niveau} avec le message {message}.",
                "Le nom en arabe et le nom en français d'un élève ne correspondent pas à ses papiers d'identité.",
            ],
            "details": [
                "Le code Massar de l'élève est {code}.",
                "La famille nous a remis le certificat de départ de l'ancien établissement.",
                "L'élève suit les cours depuis {jour} sans être inscrit sur Massar.",
                "Les parents ne peuvent pas consulter ses notes sur l'application {app}.",
            ],
            "tried": [
                "Nous avons contacté l'établissement d'origine qui affirme avoir validé le départ.",
                "La directrice a vérifié le dossier papier : il est complet.",
            ],
        },
        AR: {
            "subjects": [
                "تلميذ منتقل لا يظهر في لائحة الوافدين",
                "تصحيح تاريخ ازدياد تلميذ",
                "طلب انتقال عالق منذ يوم {jour}",
                "تلميذ مسجل في مؤسستين في آن واحد",
                "تعذر تغيير قسم تلميذ في {niveau}",
                "خطأ في كتابة اسم تلميذ على مسار",
            ],
            "problems": [
                "تلميذ انتقل إلى مؤسستنا لا يظهر في لائحة الوافدين، فلا يمكننا تسجيله في القسم {classe}.",
                "تاريخ الازدياد المسجل للتلميذ صاحب الرمز {code} يخالف ما في عقد الازدياد.",
                "طلب انتقال التلميذ {code} ما زال في وضعية انتظار منذ يوم {jour}.",
                "نفس التلميذ مسجل بمؤسستنا وبمؤسسة أخرى تابعة للمديرية.",
                "يرفض النظام تغيير قسم تلميذ في {niveau} مع ظهور رسالة {message}.",
                "اسم التلميذ بالعربية وبالفرنسية لا يطابق ما في وثائق هويته.",
            ],
            "details": [
                "رمز مسار الخاص بالتلميذ هو {code}.",
                "سلمتنا الأسرة شهادة المغادرة من المؤسسة الأصلية.",
                "التلميذ يتابع دراسته منذ يوم {jour} دون أن يكون مسجلا على مسار.",
                "لا يستطيع الآباء الاطلاع على نقطه في تطبيق {app}.",
            ],
            "tried": [
                "اتصلنا بالمؤسسة الأصلية التي أكدت أنها صادقت على المغادرة.",
                "تحققت الإدارة من الملف الورقي وهو كامل.",
            ],
        },
    },
    "absences": {
        FR: {
            "subjects": [
                "Liste des élèves vide pour la saisie des absences",
                "Absences de la classe {classe} non synchronisées",
                "Impossible de justifier une absence sur Massar",
                "Total des heures d'absence erroné sur le bulletin",
            ],
            "problems": [
                "Dans l'application {app}, la liste des élèves de la classe {classe} est vide au moment de saisir les absences.",
                "Les absences saisies {jour} pour la classe {classe} n'apparaissent pas sur Massar.",
                "Le surveillant général ne peut pas enregistrer les justificatifs d'absence : {message}.",
                "Le total des heures d'absence d'un élève de {classe} est faux sur le bulletin.",
            ],
            "details": [
                "La classe m'est bien affectée dans mon emploi du temps.",
                "Cela concerne {n} élèves et la séance de {matiere}.",
                "Les parents reçoivent des alertes d'absence erronées sur {app}.",
            ],
            "tried": [
                "J'ai désinstallé puis réinstallé l'application {app}.",
                "J'ai saisi les absences depuis l'ordinateur de {salle}, même résultat.",
            ],
        },
        AR: {
            "subjects": [
                "لائحة التلاميذ فارغة عند تسجيل الغياب",
                "غياب القسم {classe} لا يتم تحيينه",
                "تعذر تبرير غياب على مسار",
                "خطأ في مجموع ساعات الغياب في بيان النقط",
            ],
            "problems": [
                "في تطبيق {app} تظهر لائحة تلاميذ القسم {classe} فارغة عند تسجيل الغياب.",
                "الغياب الذي سجلته يوم {jour} بالنسبة للقسم {classe} لا يظهر على مسار.",
                "لا يستطيع الحارس العام تسجيل مبررات الغياب بسبب رسالة {message}.",
                "مجموع ساعات غياب تلميذ بالقسم {classe} غير صحيح في بيان النقط.",
            ],
            "details": [
                "القسم مسند إلي في استعمال الزمن.",
                "الأمر يخص {n} تلميذا وحصة مادة {matiere}.",
                "يتوصل الآباء بإشعارات غياب خاطئة على تطبيق {app}.",
            ],
            "tried": [
                "قمت بحذف التطبيق {app} ثم إعادة تثبيته.",
                "سجلت الغياب من حاسوب {salle} والنتيجة نفسها.",
            ],
        },
    },
    "timetables": {
        FR: {
            "subjects": [
                "Erreur dans mon emploi du temps sur Massar",
                "Classe {classe} absente de la structure pédagogique",
                "Séances de {matiere} manquantes le {jour}",
                "Affectation d'un enseignant remplaçant impossible",
            ],
            "problems": [
                "Mon emploi du temps affiche une classe que je n'enseigne pas et il manque deux séances le {jour}.",
                "La classe {classe} créée après la rentrée n'apparaît pas dans la structure pédagogique.",
                "Les séances de {matiere} en {niveau} ne figurent plus dans l'emploi du temps de l'établissement.",
                "Massar refuse l'affectation du professeur remplaçant de {matiere} : {message}.",
            ],
            "details": [
                "La structure a été validée par la direction provinciale en début d'année.",
                "Sans cela, les notes du {semestre} ne pourront pas être saisies.",
                "Il s'agit de {n} heures par semaine.",
            ],
            "tried": ["Le directeur a tenté de modifier la structure lui-même, sans succès."],
        },
        AR: {
            "subjects": [
                "خطأ في استعمال الزمن على مسار",
                "القسم {classe} غير موجود في البنية التربوية",
                "حصص مادة {matiere} ناقصة يوم {jour}",
                "تعذر إسناد قسم لأستاذ معوض",
            ],
            "problems": [
                "يظهر في استعمال الزمن الخاص بي قسم لا أدرسه، وتنقص حصتان يوم {jour}.",
                "القسم {classe} الذي أحدث بعد الدخول المدرسي لا يظهر في البنية التربوية.",
                "حصص مادة {matiere} في {niveau} لم تعد تظهر في استعمال زمن المؤسسة.",
                "يرفض النظام إسناد القسم للأستاذ المعوض في مادة {matiere} مع رسالة {message}.",
            ],
            "details": [
                "صادقت المديرية الإقليمية على البنية في بداية السنة.",
                "بدون ذلك لن يتسنى إدخال نقط {semestre}.",
                "يتعلق الأمر بـ {n} ساعة في الأسبوع.",
            ],
            "tried": ["حاول المدير تعديل البنية بنفسه دون جدوى."],
        },
    },
    "social": {
        FR: {
            "subjects": [
                "Liste des bénéficiaires du soutien social refusée",
                "Élève bénéficiaire absent de la liste de l'appui social",
                "Erreur au dépôt du fichier « Un million de cartables »",
            ],
            "problems": [
                "Le fichier des bénéficiaires de l'appui social est refusé avec le message {message} alors qu'il respecte le modèle.",
                "Un élève de {niveau} éligible à la bourse n'apparaît pas dans la liste des bénéficiaires.",
                "Le dépôt de la liste « Un million de cartables » échoue pour {n} élèves.",
            ],
            "details": [
                "La date limite de dépôt est {jour}.",
                "Le code Massar de l'élève concerné est {code}.",
            ],
            "tried": ["Nous avons reconstruit le fichier à partir du modèle officiel."],
        },
        AR: {
            "subjects": [
                "رفض لائحة المستفيدين من الدعم الاجتماعي",
                "تلميذ مستفيد غير موجود في لائحة الدعم الاجتماعي",
                "خطأ عند رفع ملف مليون محفظة",
            ],
            "problems": [
                "يرفض النظام ملف المستفيدين من الدعم الاجتماعي مع رسالة {message} رغم احترام النموذج.",
                "تلميذ في {niveau} مستوف للشروط لا يظهر في لائحة المستفيدين من المنحة.",
                "تفشل عملية رفع لائحة مليون محفظة بالنسبة لـ {n} تلميذا.",
            ],
            "details": [
                "آخر أجل لإيداع اللوائح هو يوم {jour}.",
                "رمز مسار الخاص بالتلميذ المعني هو {code}.",
            ],
            "tried": ["أعدنا إعداد الملف انطلاقا من النموذج الرسمي."],
        },
    },
    "census": {
        FR: {
            "subjects": [
                "Opération de recensement scolaire fermée pour notre établissement",
                "Effectifs du recensement incohérents en {niveau}",
            ],
            "problems": [
                "Le recensement scolaire est fermé pour notre établissement alors qu'il est ouvert pour les autres écoles de la province.",
                "Les effectifs affichés pour la {niveau} ne correspondent pas aux élèves inscrits.",
            ],
            "details": [
                "La différence est de {n} élèves.",
                "La direction provinciale attend nos chiffres pour {jour}.",
            ],
            "tried": ["Nous avons comparé avec les listes de classes imprimées."],
        },
        AR: {
            "subjects": [
                "عملية الإحصاء المدرسي مغلقة بالنسبة لمؤسستنا",
                "أعداد الإحصاء غير منسجمة في {niveau}",
            ],
            "problems": [
                "عملية الإحصاء المدرسي مغلقة بالنسبة لمؤسستنا بينما هي مفتوحة لباقي مؤسسات المديرية.",
                "الأعداد المعروضة بالنسبة لـ {niveau} لا تطابق التلاميذ المسجلين.",
            ],
            "details": [
                "الفرق هو {n} تلميذا.",
                "تنتظر المديرية الإقليمية أرقامنا يوم {jour}.",
            ],
            "tried": ["قارنا مع لوائح الأقسام المطبوعة."],
        },
    },
    "apps": {
        FR: {
            "subjects": [
                "Codes d'accès des élèves à l'application {app}",
                "Parents sans accès à l'application {app}",
                "L'application {app} se ferme au démarrage",
                "Code d'accès Massar d'un élève perdu",
            ],
            "problems": [
                "Les élèves de la classe {classe} n'ont pas reçu leurs codes d'accès à l'application {app}.",
                "Des parents n'arrivent pas à se connecter à {app} : le message {message} s'affiche.",
                "Depuis la dernière mise à jour, l'application {app} se ferme dès l'ouverture sur Android.",
                "Un élève a perdu son code d'accès et ne peut plus consulter ses notes.",
            ],
            "details": [
                "Le code Massar de l'élève est {code}.",
                "Cela concerne environ {n} familles.",
                "Le problème est apparu {jour}.",
            ],
            "tried": ["Nous avons réinitialisé le code depuis l'espace de l'établissement, sans effet."],
        },
        AR: {
            "subjects": [
                "رموز ولوج التلاميذ إلى تطبيق {app}",
                "الآباء لا يستطيعون الولوج إلى تطبيق {app}",
                "تطبيق {app} يغلق عند التشغيل",
                "ضياع رمز الولوج إلى مسار لتلميذ",
            ],
            "problems": [
                "لم يتوصل تلاميذ القسم {classe} برموز الولوج إلى تطبيق {app}.",
                "لا يستطيع بعض الآباء الدخول إلى تطبيق {app} وتظهر رسالة {message}.",
                "منذ آخر تحديث يغلق تطبيق {app} مباشرة بعد فتحه على أندرويد.",
                "أضاع تلميذ رمز الولوج ولم يعد يستطيع الاطلاع على نقطه.",
            ],
            "details": [
                "رمز مسار الخاص بالتلميذ هو {code}.",
                "يتعلق الأمر بحوالي {n} أسرة.",
                "ظهر المشكل يوم {jour}.",
            ],
            "tried": ["أعدنا تعيين الرمز من فضاء المؤسسة دون نتيجة."],
        },
    },
    "accounts": {
        FR: {
            "subjects": [
                "Mot de passe Massar expiré",
                "Compte bloqué après plusieurs tentatives",
                "Code de double authentification non reçu",
                "Changement du numéro de téléphone pour la double authentification",
                "Mot de passe oublié, courriel de réinitialisation non reçu",
            ],
            "problems": [
                "Mon mot de passe a expiré et le lien de réinitialisation renvoie le message {message}.",
                "Mon compte est bloqué après plusieurs tentatives de connexion depuis {salle}.",
                "Je ne reçois plus le code de vérification par SMS depuis {jour}.",
                "J'ai changé de numéro de téléphone et je ne peux plus valider la double authentification.",
                "Le courriel de réinitialisation du mot de passe n'arrive pas, même dans les indésirables.",
            ],
            "details": [
                "Je dois saisir les notes du {controle} avant {jour}.",
                "Mon identifiant est bien celui communiqué par la direction.",
                "Je me connecte depuis {navigateur}.",
            ],
            "tried": [
                "J'ai attendu une heure avant de réessayer comme indiqué.",
                "J'ai vérifié l'heure du téléphone et redémarré l'appareil.",
            ],
        },
        AR: {
            "subjects": [
                "انتهاء صلاحية كلمة المرور لمسار",
                "الحساب مقفل بعد عدة محاولات",
                "عدم التوصل برمز التحقق بخطوتين",
                "تغيير رقم الهاتف المرتبط بالتحقق بخطوتين",
                "نسيان كلمة المرور وعدم التوصل برسالة الاسترجاع",
            ],
            "problems": [
                "انتهت صلاحية كلمة المرور ورابط إعادة التعيين يعرض رسالة {message}.",
                "تم قفل حسابي بعد عدة محاولات للدخول من {salle}.",
                "لم أعد أتوصل برمز التحقق عبر الرسائل القصيرة منذ يوم {jour}.",
                "غيرت رقم هاتفي ولم أعد أستطيع إتمام التحقق بخطوتين.",
                "رسالة استرجاع كلمة المرور لا تصل حتى في الرسائل غير المرغوب فيها.",
            ],
            "details": [
                "علي إدخال نقط {controle} قبل يوم {jour}.",
                "اسم المستخدم هو الذي سلمته لي الإدارة.",
                "أستعمل متصفح {navigateur}.",
            ],
            "tried": [
                "انتظرت ساعة قبل إعادة المحاولة كما هو مطلوب.",
                "تحققت من توقيت الهاتف وأعدت تشغيله.",
            ],
        },
    },
    "taalim": {
        FR: {
            "subjects": [
                "Compte Taalim.ma inaccessible",
                "Classe Teams de {classe} introuvable",
                "Licence Office désactivée sur mon compte Taalim",
            ],
            "problems": [
                "Je n'arrive plus à me connecter à mon compte Taalim.ma : {message}.",
                "L'équipe Teams de la classe {classe} a disparu de mon compte.",
                "Word et Excel passent en mode lecture seule : la licence semble désactivée.",
            ],
            "details": ["Les élèves de {niveau} attendent les documents de {matiere}."],
            "tried": ["Je me suis déconnecté de tous les appareils puis reconnecté."],
        },
        AR: {
            "subjects": [
                "تعذر الولوج إلى حساب تعليم",
                "فريق تيمز الخاص بالقسم {classe} غير موجود",
                "رخصة أوفيس معطلة في حساب تعليم",
            ],
            "problems": [
                "لم أعد أستطيع الدخول إلى حسابي على منصة تعليم وتظهر رسالة {message}.",
                "اختفى فريق تيمز الخاص بالقسم {classe} من حسابي.",
                "أصبحت برامج وورد وإكسل في وضع القراءة فقط، ويبدو أن الرخصة معطلة.",
            ],
            "details": ["ينتظر تلاميذ {niveau} وثائق مادة {matiere}."],
            "tried": ["قمت بتسجيل الخروج من جميع الأجهزة ثم أعدت الدخول."],
        },
    },
    "hr": {
        FR: {
            "subjects": [
                "Situation administrative erronée sur MASIRH",
                "Attestation de travail introuvable sur MASIRH",
                "Ancienneté mal calculée dans mon dossier",
            ],
            "problems": [
                "Mon dossier MASIRH indique une ancienne affectation alors que j'ai rejoint l'établissement à la rentrée.",
                "Je ne trouve pas le service de demande d'attestation de travail : {message}.",
                "L'ancienneté affichée dans mon dossier ne tient pas compte de mes années de contrat.",
            ],
            "details": ["J'enseigne {matiere} depuis {n} ans."],
            "tried": ["Le service du personnel de la province m'a conseillé d'écrire ici."],
        },
        AR: {
            "subjects": [
                "وضعية إدارية خاطئة في منظومة مسير",
                "تعذر الحصول على شهادة العمل من مسير",
                "خطأ في احتساب الأقدمية في ملفي",
            ],
            "problems": [
                "يظهر في ملفي على مسير تعييني السابق رغم التحاقي بالمؤسسة منذ الدخول المدرسي.",
                "لا أجد خدمة طلب شهادة العمل وتظهر رسالة {message}.",
                "الأقدمية المعروضة في ملفي لا تحتسب سنوات التعاقد.",
            ],
            "details": ["أدرس مادة {matiere} منذ {n} سنة."],
            "tried": ["نصحتني مصلحة الموارد البشرية بالمديرية بالكتابة هنا."],
        },
    },
    "exams": {
        FR: {
            "subjects": [
                "Convocations des candidats libres introuvables",
                "Erreur dans la liste des candidats à l'examen normalisé",
                "Saisie des notes de l'examen local bloquée",
            ],
            "problems": [
                "Les convocations des candidats de {niveau} ne se génèrent pas : {message}.",
                "La liste des candidats de l'examen normalisé contient {n} élèves qui ont quitté l'établissement.",
                "La saisie des notes de l'examen local de {matiere} est bloquée pour la classe {classe}.",
            ],
            "details": ["L'examen commence {jour}."],
            "tried": ["Nous avons régénéré les listes depuis l'espace de l'établissement."],
        },
        AR: {
            "subjects": [
                "تعذر استخراج استدعاءات المترشحين الأحرار",
                "خطأ في لائحة المترشحين للامتحان الموحد",
                "تعذر مسك نقط الامتحان المحلي",
            ],
            "problems": [
                "لا يتم إنشاء استدعاءات مترشحي {niveau} وتظهر رسالة {message}.",
                "لائحة المترشحين للامتحان الموحد تضم {n} تلميذا غادروا المؤسسة.",
                "مسك نقط الامتحان المحلي في مادة {matiere} مغلق بالنسبة للقسم {classe}.",
            ],
            "details": ["يبدأ الامتحان يوم {jour}."],
            "tried": ["أعدنا إنشاء اللوائح من فضاء المؤسسة."],
        },
    },
    "portals": {
        FR: {
            "subjects": [
                "Portail des e-services inaccessible",
                "Données ESISE à corriger",
                "Accès à GRESA refusé",
            ],
            "problems": [
                "Le portail des e-services affiche {message} depuis {jour}.",
                "Les données de l'établissement dans ESISE ne sont pas à jour : il manque {n} salles.",
                "Le gestionnaire de l'établissement n'a plus accès à GRESA.",
            ],
            "details": ["Nous avons une échéance {jour}."],
            "tried": ["J'ai essayé depuis {salle} et depuis mon téléphone."],
        },
        AR: {
            "subjects": [
                "تعذر الولوج إلى بوابة الخدمات الإلكترونية",
                "معطيات ESISE في حاجة إلى تصحيح",
                "رفض الولوج إلى منظومة GRESA",
            ],
            "problems": [
                "تعرض بوابة الخدمات الإلكترونية رسالة {message} منذ يوم {jour}.",
                "معطيات المؤسسة في منظومة ESISE غير محينة إذ تنقص {n} قاعة.",
                "لم يعد لمسير المؤسسة ولوج إلى منظومة GRESA.",
            ],
            "details": ["لدينا أجل يوم {jour}."],
            "tried": ["جربت من {salle} ومن هاتفي."],
        },
    },
    "it": {
        FR: {
            "subjects": [
                "Imprimante en panne, impression impossible",
                "Impossible d'imprimer les bulletins",
                "Pas de connexion Internet dans {salle}",
                "Wi-Fi de l'établissement très lent",
                "Ordinateur de {salle} qui ne démarre plus",
                "Scanner non reconnu par le poste de la direction",
                "Bourrage papier répété sur l'imprimante",
                "Demande de cartouches d'encre pour l'imprimante",
            ],
            "problems": [
                "Depuis {jour}, {appareil} n'imprime plus rien, les documents restent en file d'attente.",
                "Impossible d'imprimer les bulletins du {semestre} : l'imprimante affiche une erreur de bourrage.",
                "La connexion Internet est coupée dans {salle} depuis {jour}.",
                "Le Wi-Fi est si lent que la saisie sur Massar échoue avec le message {message}.",
                "L'ordinateur de {salle} s'éteint juste après l'écran de démarrage.",
                "Le scanner n'est plus reconnu depuis la mise à jour de Windows.",
                "L'imprimante du secrétariat fait un bourrage papier à chaque impression recto verso.",
                "Il n'y a plus d'encre pour {appareil} et les bulletins doivent être remis {jour}.",
            ],
            "details": [
                "Le voyant du routeur reste orange.",
                "L'imprimante est branchée en USB sur le poste du secrétariat.",
                "Nous avons {n} bulletins à imprimer.",
                "Le technicien de la province est passé le mois dernier pour le même problème.",
            ],
            "tried": [
                "Nous avons redémarré l'imprimante et le poste, sans résultat.",
                "Le câble réseau a été changé, rien n'y fait.",
                "Nous avons réinstallé le pilote de l'imprimante.",
            ],
        },
        AR: {
            "subjects": [
                "الطابعة معطلة ولا تطبع أي وثيقة",
                "تعذر طباعة بيانات النقط",
                "انقطاع الأنترنت في {salle}",
                "بطء شديد في شبكة الويفي بالمؤسسة",
                "حاسوب {salle} لا يشتغل",
                "الماسح الضوئي غير معروف في حاسوب الإدارة",
                "انحشار متكرر للورق في الطابعة",
                "طلب خراطيش الحبر للطابعة",
            ],
            "problems": [
                "{appareil} لم تعد تطبع أي شيء منذ يوم {jour} وتبقى الوثائق في قائمة الانتظار.",
                "تعذرت طباعة بيانات نقط {semestre} إذ تظهر الطابعة خطأ انحشار الورق.",
                "الأنترنت مقطوعة في {salle} منذ يوم {jour}.",
                "شبكة الويفي بطيئة إلى درجة أن الإدخال على مسار يفشل مع رسالة {message}.",
                "حاسوب {salle} ينطفئ مباشرة بعد شاشة الإقلاع.",
                "لم يعد الحاسوب يتعرف على الماسح الضوئي منذ تحديث ويندوز.",
                "تنحشر الأوراق في طابعة الكتابة العامة عند كل طباعة على الوجهين.",
                "نفد الحبر من {appareil} ويجب تسليم بيانات النقط يوم {jour}.",
            ],
            "details": [
                "ضوء جهاز التوجيه يبقى برتقاليا.",
                "الطابعة موصولة بحاسوب الكتابة العامة.",
                "لدينا {n} بيانا للطباعة.",
                "سبق للتقني الإقليمي أن تدخل الشهر الماضي لنفس المشكل.",
            ],
            "tried": [
                "أعدنا تشغيل الطابعة والحاسوب دون نتيجة.",
                "تم تغيير كابل الشبكة دون جدوى.",
                "أعدنا تثبيت برنامج تشغيل الطابعة.",
            ],
        },
    },
}

# Which family a category's requests read like (a category not listed reads like "it": other requests).
FAMILY_OF = {
    "massar-grades": "grades",
    "massar-registration": "registration",
    "massar-absences": "absences",
    "massar-timetables": "timetables",
    "massar-social": "social",
    "massar-census": "census",
    "massar": "grades",
    "massar-apps": "apps",
    "accounts": "accounts",
    "accounts-password": "accounts",
    "accounts-2fa": "accounts",
    "taalim": "taalim",
    "masirh": "hr",
    "exams": "exams",
    "eservices": "portals",
    "gresa": "portals",
    "esise": "portals",
    "other": "it",
}

COMMON = {
    FR: {
        "greetings": ["Bonjour,", "Bonjour, ", "Madame, Monsieur,", "Salam,", "Bonsoir,"],
        "intros": [
            "Je suis professeur de {matiere} au collège.",
            "Je suis enseignant en {niveau}.",
            "Je vous écris au nom de la direction de l'établissement.",
            "Je suis le surveillant général.",
            "Je suis la secrétaire de l'établissement.",
            "Je suis professeure de {matiere}.",
        ],
        "urgency": [
            "C'est urgent, les conseils de classe ont lieu {jour}.",
            "Merci de traiter cette demande rapidement.",
            "Les parents attendent une réponse.",
            "Le délai fixé par la direction provinciale approche.",
        ],
        "closings": ["Merci d'avance.", "Cordialement.", "Merci pour votre aide.", "Bien à vous.", "Merci."],
        "generic_tried": [
            "J'ai redémarré l'ordinateur.",
            "J'ai essayé depuis un autre poste.",
            "Mes collègues rencontrent le même problème.",
        ],
    },
    AR: {
        "greetings": ["السلام عليكم،", "السلام عليكم ورحمة الله،", "تحية طيبة،", "سلام،"],
        "intros": [
            "أنا أستاذ مادة {matiere} بالثانوية الإعدادية.",
            "أنا أستاذة {niveau}.",
            "أكتب إليكم باسم إدارة المؤسسة.",
            "أنا الحارس العام للمؤسسة.",
            "أنا الكاتبة العامة للمؤسسة.",
            "أنا أستاذة مادة {matiere}.",
        ],
        "urgency": [
            "الأمر مستعجل لأن مجالس الأقسام تنعقد يوم {jour}.",
            "المرجو معالجة هذا الطلب في أقرب الآجال.",
            "الآباء ينتظرون الجواب.",
            "الأجل الذي حددته المديرية الإقليمية يقترب.",
        ],
        "closings": ["وشكرا مسبقا.", "وتقبلوا فائق التقدير والاحترام.", "شكرا على مساعدتكم.", "وشكرا."],
        "generic_tried": [
            "أعدت تشغيل الحاسوب.",
            "جربت من حاسوب آخر.",
            "زملائي يواجهون نفس المشكل.",
        ],
    },
}

# A short line in the other language, which some people add.
OTHER_LANGUAGE_LINE = {
    FR: ["السلام عليكم، المرجو المساعدة في أقرب وقت.", "نفس المشكل يتكرر كل يوم.", "شكرا على تفهمكم."],
    AR: ["Merci de votre aide.", "Le problème persiste depuis plusieurs jours.", "Urgent svp."],
}

# What the desks and requesters write later in the history.
DESK_TEXTS = {
    FR: {
        "reply": [
            "Bonjour, nous avons bien reçu votre demande et nous l'examinons.",
            "Pouvez-vous nous confirmer si le problème persiste aujourd'hui ?",
            "Nous avons vérifié votre compte : la synchronisation est en cours, merci de patienter.",
            "Un correctif est en cours de déploiement, nous revenons vers vous rapidement.",
            "Merci pour ces précisions, nous avons transmis les éléments au technicien.",
        ],
        "info": [
            "Merci de nous envoyer une capture d'écran du message d'erreur.",
            "Pouvez-vous préciser le code Massar de l'élève concerné ?",
            "Merci d'indiquer le navigateur utilisé et l'heure de la dernière tentative.",
            "Merci de joindre le certificat de départ signé par l'établissement d'origine.",
        ],
        "note": [
            "Vérifié au niveau de l'établissement : le problème dépasse nos droits sur Massar.",
            "Cas déjà vu, nécessite une intervention de la direction provinciale.",
            "Les droits nécessaires relèvent de l'académie.",
            "Anomalie de la plateforme : à traiter par le service central.",
            "Demande requalifiée après vérification, transmise au niveau supérieur.",
        ],
        "resolution": [
            "Le problème est corrigé, vous pouvez reprendre la saisie.",
            "Les droits ont été rétablis sur votre compte.",
            "Le transfert a été validé, l'élève apparaît désormais dans votre liste.",
            "Le mot de passe a été réinitialisé, un nouveau lien vous a été envoyé.",
            "Le technicien est intervenu sur place, l'équipement fonctionne de nouveau.",
            "La correction a été faite dans Massar, merci de vérifier de votre côté.",
        ],
        "followup": [
            "Merci, je reste disponible pour toute information.",
            "Le problème persiste toujours ce matin.",
            "Voici les informations demandées.",
        ],
        "comment": ["Merci pour la rapidité.", "Problème réglé, merci.", "Délai un peu long.", ""],
    },
    AR: {
        "reply": [
            "السلام عليكم، توصلنا بطلبكم ونحن بصدد دراسته.",
            "هل يمكنكم تأكيد ما إذا كان المشكل لا يزال قائما اليوم؟",
            "تحققنا من حسابكم، والمزامنة جارية، المرجو الانتظار قليلا.",
            "يجري حاليا نشر تصحيح، وسنعود إليكم قريبا.",
            "شكرا على هذه التوضيحات، تمت إحالة المعطيات على التقني.",
        ],
        "info": [
            "المرجو إرسال صورة للشاشة تظهر رسالة الخطأ.",
            "المرجو تحديد رمز مسار الخاص بالتلميذ المعني.",
            "المرجو ذكر المتصفح المستعمل وتوقيت آخر محاولة.",
            "المرجو إرفاق شهادة المغادرة موقعة من المؤسسة الأصلية.",
        ],
        "note": [
            "تم التحقق على مستوى المؤسسة: المشكل يتجاوز صلاحياتنا على مسار.",
            "حالة سبق رصدها وتتطلب تدخل المديرية الإقليمية.",
            "الصلاحيات اللازمة من اختصاص الأكاديمية.",
            "خلل في المنصة يعالج على المستوى المركزي.",
            "أعيد تكييف الطلب بعد التحقق وأحيل على المستوى الأعلى.",
        ],
        "resolution": [
            "تم إصلاح المشكل، يمكنكم استئناف الإدخال.",
            "تمت إعادة تفعيل الصلاحيات في حسابكم.",
            "تمت المصادقة على الانتقال، والتلميذ يظهر الآن في لائحتكم.",
            "تمت إعادة تعيين كلمة المرور وأرسل إليكم رابط جديد.",
            "تدخل التقني في عين المكان والجهاز يشتغل من جديد.",
            "تم التصحيح في مسار، المرجو التحقق من جهتكم.",
        ],
        "followup": [
            "شكرا، أبقى رهن الإشارة لأي معلومة.",
            "المشكل ما زال قائما هذا الصباح.",
            "هذه هي المعلومات المطلوبة.",
        ],
        "comment": ["شكرا على السرعة.", "تم حل المشكل، شكرا.", "المدة كانت طويلة نوعا ما.", ""],
    },
}


# Building one request -----------------------------------------------------------------------------------


def _fields(template: str) -> bool:
    return any(name for _text, name, _spec, _conv in string.Formatter().parse(template) if name)


class _Template:
    """A template and whether it has slots (most sentences have none: no formatting for them)."""

    __slots__ = ("text", "slotted")

    def __init__(self, text: str):
        self.text = text
        self.slotted = _fields(text)

    def fill(self, slots: _Slots) -> str:
        return self.text.format_map(slots) if self.slotted else self.text


def _compile(value):
    if isinstance(value, str):
        return _Template(value)
    if isinstance(value, list):
        return [_compile(item) for item in value]
    return {key: _compile(item) for key, item in value.items()}


_FAMILIES = _compile(FAMILIES)
# A subject and the problem at the same place in their lists tell the same case.
assert all(
    len(texts["subjects"]) == len(texts["problems"])
    for family in FAMILIES.values()
    for texts in family.values()
)
_COMMON = _compile(COMMON)
_DESK = _compile(DESK_TEXTS)


def family_of(category_code: str) -> str:
    return FAMILY_OF.get(category_code, "it")


class Request:
    """One generated request: its language, subject, the sentences of its description, and its slots (the
    history's texts reuse them)."""

    __slots__ = ("lang", "subject", "sentences", "other_line", "slots")

    def __init__(self, lang, subject, sentences, other_line, slots):
        self.lang, self.subject, self.sentences, self.other_line, self.slots = (
            lang,
            subject,
            sentences,
            other_line,
            slots,
        )

    @property
    def description(self) -> str:
        text = " ".join(self.sentences)
        return f"{text}\n\n{self.other_line}" if self.other_line else text


def _pick(random_, items):
    # random.choice without its checks: this runs tens of millions of times in a load.
    return items[int(random_() * len(items))]


def request(rng: random.Random, category_code: str, lang: str | None = None) -> Request:
    """A request about `category_code`'s subject, in `lang` (French or Arabic, half each when not given)."""
    random_ = rng.random
    lang = lang or (FR if random_() < 0.5 else AR)
    family = _FAMILIES[family_of(category_code)][lang]
    common = _COMMON[lang]
    slots = _Slots(rng, lang)
    case = int(random_() * len(family["subjects"]))
    subject = family["subjects"][case].fill(slots)
    sentences = []
    if random_() < 0.7:
        sentences.append(_pick(random_, common["greetings"]).text.strip())
    if random_() < 0.2:
        sentences.append(_pick(random_, common["intros"]).fill(slots))
    sentences.append(family["problems"][case].fill(slots))
    details = family["details"]
    roll = random_()
    if roll < 0.55:
        first = int(random_() * len(details))
        sentences.append(details[first].fill(slots))
        if roll < 0.12 and len(details) > 1:
            sentences.append(details[(first + 1) % len(details)].fill(slots))
    roll = random_()
    if roll < 0.4:
        sentences.append(_pick(random_, family["tried"]).fill(slots))
    elif roll < 0.5:
        sentences.append(_pick(random_, common["generic_tried"]).fill(slots))
    if random_() < 0.2:
        sentences.append(_pick(random_, common["urgency"]).fill(slots))
    if random_() < 0.6:
        sentences.append(_pick(random_, common["closings"]).text)
    other_line = _pick(random_, OTHER_LANGUAGE_LINE[lang]) if random_() < 0.08 else ""
    return Request(lang, subject[:200], sentences, other_line, slots)


def desk_text(rng: random.Random, lang: str, kind: str) -> str:
    """A text of the history: `reply`, `info`, `note`, `resolution`, `followup` or `comment`."""
    return _pick(rng.random, _DESK[lang][kind]).text


class Folder:
    """The word columns of a generated ticket, each text's words found once per process (a bounded memo): the
    same result as `tickets.search.history_words`, at a fraction of the cost."""

    def __init__(self, limit: int = 400_000):
        self.memo: dict[str, str] = {}
        self.limit = limit

    def words(self, text: str) -> str:
        found = self.memo.get(text)
        if found is None:
            found = word_document(text).strip()
            if len(self.memo) < self.limit:
                self.memo[text] = found
        return found

    def _document(self, texts) -> str:
        joined = " ".join(found for found in map(self.words, texts) if found)
        return f" {joined} " if joined else ""

    def columns(self, req: Request, public=(), notes=()) -> tuple[str, str, str]:
        """`subject_text`, `search_text` and `note_text` of a request with these later public and desk-only
        bodies (generated texts stay far below `search.WORDS_MAX`)."""
        parts = [req.subject, *req.sentences]
        if req.other_line:
            parts.append(req.other_line)
        return self._document([req.subject]), self._document([*parts, *public]), self._document(notes)


def _check_plain(value) -> None:
    # The loader writes these texts into COPY lines and JSON strings as they are: none may need escaping.
    if isinstance(value, str):
        if any(char in value for char in '"\\\t\n\r'):
            raise ValueError(f"a generated text must not need escaping: {value!r}")
    elif isinstance(value, dict):
        for item in value.values():
            _check_plain(item)
    else:
        for item in value:
            _check_plain(item)


_check_plain([FAMILIES, COMMON, OTHER_LANGUAGE_LINE, DESK_TEXTS, _SLOTS])
