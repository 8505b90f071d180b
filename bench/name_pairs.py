"""A labelled set of invented names for calibrating `kyc.names`: each group is one person.

Within a group: the ways the same name appears on an identity document (MRZ style, surname first,
upper case) and on a community attestation (another romanisation, honorifics, particles, another
script, another order). Across groups: different people, many of them deliberately close (shared
family names Khan, Shah, Patel, Hussain; shared given names Ali, Fatima, Ahmed). Genuine pairs are
every pair inside a group; impostor pairs every pair across groups.
"""

from __future__ import annotations

from itertools import combinations

PERSONS: list[list[str]] = [
    ["Muhammad Ali Khan", "KHAN MOHD ALI", "Mohammed Ali Khan"],
    ["Ali Hassan Khan", "KHAN ALI HASAN", "Haji Ali Hassan Khan"],
    ["Ahmed Raza Shah", "SHAH AHMAD RAZA", "Syed Ahmed Raza Shah"],
    ["Fatima Begum Shah", "SHAH FATIMAH", "Fatima Shah"],
    ["Fatima Hussain", "HUSAIN FATEMA", "Fatimah Hussein"],
    ["Zainab Abdul Rahman", "ABDUL RAHMAN ZAINAB", "Zaynab Abdur Rahman"],
    ["Aisha binti Ismail", "ISMAIL AISHAH", "Ayesha Ismail"],
    ["Yusuf ibn Ibrahim", "IBRAHIM YUSUF", "Yousuf Ibrahim"],
    ["Hussain Ali Merchant", "MERCHANT HUSAIN ALI", "Husein Ali Merchant"],
    ["Abbas Bhai Patel", "PATEL ABBAS", "Abbas Patel"],
    ["Imran Patel", "PATEL IMRAN", "Imraan Patel"],
    ["Nadia Karim Ladha", "LADHA NADIA KARIM", "Nadiya Kareem Ladha"],
    ["Karim Jiwani", "JIWANI KARIM", "Kareem Jivani"],
    ["Shireen Noorani", "NOORANI SHIREEN", "Shirin Nurani"],
    ["Salim Rehmatullah Lakhani", "LAKHANI SALIM", "Saleem Rahmatullah Lakhani"],
    ["Rukhsana Dhanani", "DHANANI RUKHSANA", "Rukhsanah Dhanani"],
    ["Osman Farouk Mirza", "MIRZA USMAN FAROOQ", "Usman Farooq Mirza"],
    ["Khadija Qureshi", "QURESHI KHADIJAH", "Khadeeja Kureshi"],
    ["Tariq Mahmood Chaudhry", "CHAUDHRY TARIQ MAHMOOD", "Tarik Mehmood Chaudhary"],
    ["Sana Iqbal Sheikh", "SHEIKH SANA IQBAL", "Sana Ikbal Shaikh"],
    ["Bilal Ahmed Siddiqui", "SIDDIQUI BILAL AHMAD", "Bilal Ahmad Siddiqi"],
    ["Mariam Abdullah", "ABDULLAH MARYAM", "Maryam binti Abdullah"],
    ["Hamza Yusuf Ansari", "ANSARI HAMZA YOUSUF", "Hamzah Yusuf Ansari"],
    ["Rashida Valli", "VALLI RASHIDA", "Rasheeda Wali"],
    ["Amin Sadruddin Virani", "VIRANI AMIN SADRUDDIN", "Ameen Sadruddin Virani"],
    ["Farida Kassam", "KASSAM FARIDA", "Fareeda Kasam"],
    ["Zahir Hirji", "HIRJI ZAHIR", "Zaheer Hirji"],
    ["Nizar Alibhai Damji", "DAMJI NIZAR ALIBHAI", "Nizar Ali Bhai Damji"],
    ["Ali Raza", "RAZA ALI", "Ali Rizvi Raza"],
    ["Omar Farooq", "FAROOQ UMAR", "Umar Farouk"],
    ["Ayaan Malik", "MALIK AYAAN", "Ayan Malik"],
    ["Hina Rizvi", "RIZVI HINA", "Syeda Hina Rizvi"],
    ["Abdul Qadir Memon", "MEMON ABDUL QADIR", "Abdulkadir Memon"],
    ["Sultan Ahmed Khan", "KHAN SULTAN AHMED", "Sultan Ahmad Khan"],
    ["Ayesha Siddiqa Khan", "KHAN AYESHA SIDDIQA", "Aisha Siddiqa Khan"],
    ["Parveen Akhtar", "AKHTAR PARVEEN", "Perveen Akhter"],
    ["Javed Iqbal Butt", "BUTT JAVED IQBAL", "Javaid Iqbal Bhatt"],
    ["Shabnam Mawji", "MAWJI SHABNAM", "Shabnam Mowji"],
    ["Rahim Nathoo", "NATHOO RAHIM", "Raheem Nathu"],
    ["Salma Juma", "JUMA SALMA", "Salmah Jumah"],
    # The same names in another script, as an organisation abroad may print them.
    ["Amina Shah", "SHAH AMINA", "अमीना शाह"],
    ["Hasan Ladhani", "LADHANI HASAN", "હસન લાધાણી"],
    ["Hamid Karimi", "KARIMI HAMID", "حامد کریمی"],
    ["Yusuf Ibrahim Sheikh", "SHEIKH YUSUF IBRAHIM", "یوسف ابراهیم شیخ"],
    # Relatives of people above: the masculine or feminine form of their given name, a letter apart
    # (Karim / Karima), with the same family name: a brother's or sister's card is the likeliest
    # card to be shown by someone else. Added by review (they are impostor pairs).
    ["Karima Jiwani", "JIWANI KARIMA", "Kareema Jivani"],
    ["Rahima Nathoo", "NATHOO RAHIMA", "Raheema Nathu"],
    ["Zahira Hirji", "HIRJI ZAHIRA", "Zaheera Hirji"],
    ["Farid Kassam", "KASSAM FARID", "Fareed Kasam"],
    ["Rashid Valli", "VALLI RASHID", "Rasheed Wali"],
    ["Imrana Patel", "PATEL IMRANA", "Imraana Patel"],
    ["Amin Shah", "SHAH AMIN", "Ameen Shah"],
    ["Alia Raza", "RAZA ALIA", "Aliya Raza"],
    ["Hamida Karimi", "KARIMI HAMIDA", "Hameeda Karimi"],
    ["Sultana Ahmed Khan", "KHAN SULTANA AHMED", "Sultana Ahmad Khan"],
]


def genuine_pairs() -> list[tuple[str, str]]:
    return [pair for group in PERSONS for pair in combinations(group, 2)]


def impostor_pairs() -> list[tuple[str, str]]:
    return [
        (a, b)
        for (i, left), (j, right) in combinations(enumerate(PERSONS), 2)
        for a in left
        for b in right
        if i != j
    ]
