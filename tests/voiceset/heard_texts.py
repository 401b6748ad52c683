"""What the agents say in the heard-steps set. Written for this set; agents only.

Two kinds of line:

- STEP_LINES: for each step of a built-in playbook that a spoken phrase can mark,
  natural lines an agent would say for it (the phrase at the start, in the middle
  and at the end of a sentence, paraphrases, contractions). A line's step is its
  ground truth: heard_in should tick that step while (or just after) it is said.
- ORDINARY: everyday agent talk that should tick nothing, near misses included.

Which steps are heard. A step is in the set when a short spoken phrase marks it
plainly. Left out, on purpose:
- every ``watch`` step (a standing reminder, never ticked);
- the ``after`` steps (log-incident, best-practice, follow-up, collect-yourself:
  done after the call, not said on it);
- get-facts in both playbooks: its questions ("could you read me the order number?")
  are the account checks of every call, so it can only be ticked by hand.

The rule: what ticks a step and what does not (MARKERS holds it as patterns; the
unit test checks every step line against its own step's patterns and no other
step's of its playbook, and no ordinary line against any step's):
- apologise: "I'm sorry", "I am sorry", "I apologise", "apologies", "an apology",
  whatever the apology is for ("I'm sorry to hear that" ticks). A bare "sorry"
  is not an apology: "Sorry?" and "sorry, could you say that again?" (asking to
  repeat), "sorry, go ahead", "oh sorry, I talked over you" are ordinary talk.
- anything-else: asking "anything else", or thanking them for raising the problem
  (thank you for telling / letting us know / bringing / raising / pointing out /
  flagging / reporting it). Thanks in passing ("thanks, that's the one", "thank
  you, I've got that") and the pleasantries "thank you for calling", "thanks for
  holding", "thank you for your patience" are ordinary talk, greetings and
  sign-offs alike.
- confirm-agreement: the recap of what was agreed ("to recap", "just to confirm",
  "have I got that right?", "does that work for you?", "are you happy with that?").
  Confirming an account detail ("could you confirm your date of birth?", "can I just
  check the postcode?") is ordinary talk.
- let-them-vent: inviting them to go on ("go on", "I'm listening", "carry on",
  "keep going", "tell me everything"). Backchannels ("mm-hm", "okay", "right") are
  ordinary, and so is "take your time" said while they look for a card.
- empathise: naming how it felt ("I can imagine", "that must have been", "it sounds
  really stressful", "I can hear how..."). A bare "I understand" is ordinary.
- acknowledge (irate): recognising the frustration was fair ("you had every reason
  to", "would frustrate anyone", "that's not good enough", "you deserved better").
- acknowledge (abusive): recognising the problem behind the anger ("something went
  wrong", "this shouldn't have happened", "I can imagine how upsetting").
- play-it-back: saying their problem back ("if I've understood", "so what you're
  saying is", "let me check I've understood").
- involve-them: asking what would put it right ("what would a good outcome look
  like", "would it help if", "how would you like us to").
- offer-solution: "here's what I can do", "what I can do is", "I'll do everything
  I can", "I'll have an answer for you by". "Let me see what I can do" ticks too
  (it is the offer starting), so ordinary talk never says "what I can do".
- what-next: "what happens next", escalating, fast-tracking, "passing this to the
  specialist team", "marked urgent".
- make-amends: a credit on the account, goodwill, a gesture, a voucher, waiving a
  fee, "on us", compensation. "Credit card" is ordinary talk.
- set-the-line: naming the behaviour once ("personal remarks won't get this
  sorted", "keep it respectful", "there's no need for that language").
- warn: a conditional warning ("if the language continues, I will have to end this
  call", "this is your final warning", "I'm asking you again to stop").
- end-or-escalate: actually ending or handing over ("I'm ending this call now",
  "I'm passing you to my team lead"). Checking something with a supervisor, or
  transferring to another department ("I'll transfer you to the moving team"), is
  ordinary talk.

Ids are stable (the pool of synthesised utterances is keyed by them and the text):
append new lines rather than renumbering.
"""

from __future__ import annotations

import re
from functools import cache

IRATE = "irate-caller"
ABUSIVE = "abusive-caller"

STEP_LINES: dict[str, dict[str, list[str]]] = {
    IRATE: {
        "let-them-vent": [
            "Go on, I'm listening.",
            "Take your time, I'm listening, I'm not going anywhere.",
            "Please carry on, I want to hear the whole thing.",
            "I'm listening, tell me what happened after that.",
            "No rush at all, tell me everything from the start.",
            "Go on, what did they say to you next?",
            "I am listening, please keep going.",
            "Tell me the whole story, and I'll just listen.",
            "Carry on, I'm still here with you.",
            "Okay, go on, and then what happened?",
            "Keep going, I want to understand all of it.",
        ],
        "play-it-back": [
            "So if I've understood you correctly, the engineer never came and nobody rang you.",
            "Let me check I've understood, you were charged twice in March.",
            "If I have this right, the parcel was marked delivered but it never arrived.",
            "So what you're saying is the new router has never worked properly.",
            "Just so I've got this straight, you cancelled in May and were still billed in June.",
            "Let me make sure I've got this, you called on Monday and were promised a callback.",
            "What I'm hearing is that you've been cut off three times this week.",
            "Let me play that back to you, so I know I haven't missed anything.",
            "If I understand you, the price went up without any warning at all.",
            "So if I've got this right, the refund was agreed but it never reached your bank.",
            "Let me just check I've understood the dates, you moved house on the fourth.",
        ],
        "acknowledge": [
            "That's a real let-down, and you had every reason to expect better.",
            "Being left waiting like that would frustrate anyone.",
            "You had every right to be annoyed about that.",
            "Honestly, that's not good enough, and you shouldn't have had to chase it.",
            "No wonder you're fed up, that's the third visit that didn't happen.",
            "Anyone would be frustrated after being passed around like that.",
            "You deserved better than that from us.",
            "It's not acceptable that you were left without a phone for a week.",
            "You shouldn't have to ring us four times to get an answer.",
            "That was a let-down, and I completely see why you're angry.",
            "You were right to be upset, that letter should never have been sent.",
        ],
        "empathise": [
            "I can imagine how upsetting that was.",
            "That must have been stressful, especially with everything else going on.",
            "I can only imagine how worrying that was, with your mum on her own.",
            "It must be exhausting having to explain this all over again.",
            "That sounds really stressful, being without the internet while working from home.",
            "I can hear how much this has worn you down.",
            "That must have been a horrible surprise when you opened the bill.",
            "Honestly, I can imagine how I'd feel if that happened to me.",
            "Waiting in all day for nobody to turn up must have been so frustrating.",
            "It sounds awful, and I can hear it's really affected your week.",
            "I can imagine you were really worried when the payment bounced.",
        ],
        "apologise": [
            "We got your delivery date wrong, and I'm sorry.",
            "I'm sorry this has been so frustrating, let's put it right.",
            "It sounds as if an apology is owed to you here.",
            "I'm really sorry about the mix-up with your order.",
            "I do apologise, that charge should never have gone through.",
            "Please accept my apologies for the wait you've had today.",
            "I'm so sorry you've had to call back about the same thing.",
            "We've let you down here, and I apologise for that.",
            "My apologies, I should have checked that for you the first time.",
            "I am sorry, that's not the experience we want you to have.",
            "I owe you an apology, the engineer was booked for the wrong day.",
            "I'm sorry to hear that, nobody should have to wait that long.",
        ],
        "involve-them": [
            "What would a good outcome look like for you?",
            "Would it help if we moved the visit to a Saturday?",
            "What would put this right for you?",
            "How would you like us to handle the refund?",
            "What do you think would be fair here?",
            "Tell me, what would make this right in your eyes?",
            "Would it help if I sent the engineer's details straight to you?",
            "What would you like me to do first?",
            "If you could choose, what would help you most right now?",
            "What outcome are you hoping for from today's call?",
            "Is there something that would help you feel this is sorted?",
        ],
        "offer-solution": [
            "Here's what I can do for you right now.",
            "I can't fix that today, but I'll have an answer for you by Thursday.",
            "I'll do everything I can to get this resolved.",
            "What I can do is book the first engineer slot tomorrow morning.",
            "Here is what I can do, I'll cancel the duplicate payment straight away.",
            "Right, what I'm going to do is reset the line from our end.",
            "I can sort that out for you right now, while we're on the phone.",
            "I will do everything I can to get you reconnected before the weekend.",
            "What I can do today is send a replacement by next day delivery.",
            "I can't promise it'll be fixed today, but I'll have an answer for you by five.",
            "Let me tell you what I can do, I'll put a new order through this morning.",
        ],
        "what-next": [
            "I'm passing this to our specialist team today, marked urgent.",
            "Here is exactly what happens next.",
            "So what happens next is that the team will call you within two days.",
            "I'm going to escalate this to the network team this afternoon.",
            "I've marked it as urgent, so it goes to the top of their queue.",
            "Let me explain what happens now, step by step.",
            "I'll fast-track the replacement, so it leaves the warehouse tonight.",
            "What happens next is a technician reviews your line, and I'll ring you back.",
            "I've escalated it to my manager, who will email you by Friday.",
            "The next thing that will happen is a text with your new appointment.",
            "I'm passing this on to the billing team now, and they'll be in touch tomorrow.",
        ],
        "make-amends": [
            "For the trouble this has caused, I'd like to add a credit to your account.",
            "To make up for the hassle, I can take twenty pounds off your next bill.",
            "I've added a goodwill payment of fifteen pounds to your account.",
            "As a gesture for all the calls you've had to make, I'll waive this month's fee.",
            "I'd like to send you a voucher to make up for the missed delivery.",
            "I'm putting a credit on your account for the days you were without service.",
            "To make it up to you, next month's line rental is on us.",
            "I'll refund the delivery charge, since none of this was your fault.",
            "You'll get some compensation for the missed appointment, it's the least we can do.",
            "I've applied a small credit, it should show on your next statement.",
            "For all the time you've lost, let me waive the cancellation fee.",
        ],
        "confirm-agreement": [
            "So, to recap, we'll send a new router and you'll return the old one, "
            "have I got that right?",
            "Just to confirm, the next step is an engineer visit on Friday, "
            "does that work for you?",
            "So to confirm, I'm refunding both payments and closing the old account, correct?",
            "To recap what we've agreed, the repair is under warranty and you'll hear by Monday.",
            "Are you happy with that as the plan for now?",
            "So we're agreed, the new price starts next month and nothing else changes.",
            "Just to confirm, you'd like the refund back to the original card?",
            "The engineer comes on Tuesday morning, is that okay with you?",
            "Let me just recap, the bill will be corrected and the late fee removed.",
            "So that's a replacement by Thursday and a call from me on Friday, "
            "does that work for you?",
            "Can I just confirm we've agreed on the Saturday slot?",
        ],
        "anything-else": [
            "Is there anything else I can help you with today?",
            "Thank you for telling us about this, it helps us put it right.",
            "Before you go, is there anything else you need from me?",
            "Thank you for pointing this out, we'd never have spotted it otherwise.",
            "Anything else on the account while I've got you?",
            "Thank you for bringing this to us, it means we can stop it happening to others.",
            "Is there anything else that's worrying you about the bill?",
            "Thanks for letting us know, and have a good evening.",
            "Was there anything else you wanted to go through today?",
            "Anything else at all, while I have your account open?",
            "Thank you for flagging this, it'll help the next customer too.",
            "Thanks for raising this, honestly, it really does help us.",
        ],
    },
    ABUSIVE: {
        "set-the-line": [
            "I do want to help, and personal remarks won't get this sorted any faster.",
            "I'm happy to keep working on this with you if we keep it respectful.",
            "There's no need for that language, I'm trying to help you.",
            "Please don't speak to me like that, I really do want to help.",
            "Shouting at me won't make this any quicker, but I can fix it if we talk it through.",
            "I know you're angry, but calling me names doesn't help either of us.",
            "Let's keep this civil, and I'll do my best for you.",
            "I genuinely want to help, so let's keep it about the problem, not about me.",
            "I'm not going to argue with you, and insults won't help, so let's look at the bill.",
            "Please keep it polite, and we'll get there much faster.",
            "I can hear you're upset, but there's no need to talk to me like that.",
        ],
        "warn": [
            "If the language continues, I will have to end this call.",
            "I'm going to ask you once more to stop the personal comments.",
            "This is a warning, if you keep swearing at me, I will end the call.",
            "I'm asking you again to stop swearing, or I'll have to close the call.",
            "Please stop the insults, or I will have to end this call.",
            "That's your final warning, one more personal comment and the call is over.",
            "If you carry on shouting like this, I'll have to put the phone down.",
            "I need to ask you to stop using that language with me.",
            "One more remark like that and this call will end.",
            "I'm warning you politely, I won't stay on the line if the abuse continues.",
            "If the swearing carries on, I'll need to end our call.",
        ],
        "acknowledge": [
            "Something clearly went wrong here, and I want to fix it.",
            "I can imagine how upsetting this has been.",
            "This shouldn't have happened, and I can see why you're angry.",
            "You've had a really poor experience, and that's on us.",
            "It's a real problem that your service has been off for days.",
            "We let you down on this, there's no question about that.",
            "Clearly something has gone wrong with your account, and it isn't your fault.",
            "I can imagine how frustrating it is to be without heating.",
            "You've been through a lot with this order, and that's not fair on you.",
            "Your complaint is completely fair, the bill is wrong.",
            "What happened with the engineer shouldn't have happened.",
        ],
        "end-or-escalate": [
            "I'm ending this call now, you're welcome to call back when we can talk calmly.",
            "I'm passing you to my team lead, who will take this from here.",
            "I've warned you, so I'm going to end the call now.",
            "I'm going to hand you over to my supervisor now.",
            "I'm closing the call now, and I've made a note on your account.",
            "My team lead is going to pick this up with you, please hold the line.",
            "I'm putting you through to my manager, who can help you further.",
            "As I said I would, I'm ending the call now, goodbye.",
            "I'm transferring you to my team lead, one moment.",
            "I'm going to end this call now, please do call back when you're ready to talk.",
            "I'll hand you over to a team lead, they'll take it from here.",
        ],
    },
}

# What ticks a step (see the module docstring): patterns on norm(text).
MARKERS: dict[str, dict[str, tuple[str, ...]]] = {
    IRATE: {
        "let-them-vent": (
            r"\bi'm listening",
            r"\bi am listening",
            r"\bgo on\b",
            r"\bcarry on\b",
            r"\bkeep going\b",
            r"\btell me (everything|the whole|what happened|all)",
        ),
        "play-it-back": (
            r"\bif i('ve| have)? understood",
            r"\bif i understand",
            r"\bcheck i've understood",
            r"\bif i('ve| have) (got )?this right",
            r"\bso what you're saying",
            r"\bwhat i'm hearing",
            r"\bmake sure i've got this",
            r"\bso i've got this straight",
            r"\bplay that back",
        ),
        "acknowledge": (
            r"\bevery (reason|right) to",
            r"\bwould frustrate anyone",
            r"\banyone would be (frustrated|annoyed|upset|fed up)",
            r"\bnot good enough",
            r"\bnot acceptable",
            r"\byou shouldn't have( had)? to",
            r"\blet down\b",
            r"\byou deserved? better",
            r"\bright to be (annoyed|upset|angry|frustrated)",
            r"\bno wonder you're",
        ),
        "empathise": (
            r"\bi can (only )?imagine",
            r"\bmust (have been|be)\b",
            r"\bi can hear (how|that|it's|this)",
            r"\bsounds (really )?(stressful|awful|worrying|exhausting|horrible)",
        ),
        "apologise": (
            r"\bi'm (so |really |very |truly )?sorry",
            r"\bi am (so |really |very |truly )?sorry",
            r"\bapologi[sz]e",
            r"\bapolog(y|ies)\b",
        ),
        "involve-them": (
            r"\bwhat would (a good outcome|put (this|it) right|make (this|it) right|help)",
            r"\bwhat would you like (me|us) to",
            r"\bhow would you like (me|us) to",
            r"\bwhat do you think would be fair",
            r"\bwould it help if",
            r"\bwhat outcome",
            r"\bsomething that would help you",
        ),
        "offer-solution": (
            r"\bhere('s| is) what i can do",
            r"\bwhat i can do\b",
            r"\beverything i can\b",
            r"\bi'll have an answer for you",
            r"\bwhat i'm going to do",
            r"\bi can sort (that|this) out for you",
        ),
        "what-next": (
            r"\bwhat happens (next|now)",
            r"\bescalat",
            r"\burgent\b",
            r"\bfast track",
            r"\bpassing this (on )?to",
            r"\bthe next thing that will happen",
        ),
        "make-amends": (
            r"\bcredit\b(?! card)",
            r"\bgoodwill",
            r"\bgesture\b",
            r"\bmake (it |things )?up (to|for)\b",
            r"\bvoucher",
            r"\bwaive",
            r"\brefund the [a-z ]{0,25}charge",
            r"\bon us\b",
            r"\bcompensat",
        ),
        "confirm-agreement": (
            r"\bjust to confirm\b",
            r"\bso to confirm\b",
            r"\brecap\b",
            r"\bhave i got that right",
            r"\bdoes that work for you",
            r"\bare you happy with that",
            r"\bis that okay with you",
            r"\bwe're agreed",
            r"\bwe've agreed",
        ),
        "anything-else": (
            r"\banything else\b",
            r"\bthank(s| you)( so much| very much)? for "
            r"(telling|letting|bringing|raising|pointing|flagging|reporting)",
        ),
    },
    ABUSIVE: {
        "set-the-line": (
            r"\bpersonal remarks",
            r"\bkeep (it|this) (respectful|civil|polite)",
            r"\bwon't (get this|help|make this)",
            r"\bdoesn't help",
            r"\bno need (for that|to talk|to speak)",
            r"\bdon't speak to me like",
            r"\b(do|really do|genuinely) want to help",
        ),
        "warn": (
            r"\bif (the|this|that|you)\b.{0,50}\b(end|close)\b.{0,12}\bcall\b",
            r"\bif (the|this|that) (language|swearing|abuse|shouting) (continues|carries on)",
            r"\bor i('ll| will) have to (end|close)",
            r"\b(final|last|a) warning",
            r"\bwarning you",
            r"\bask(ing)? you (again|once more|one more time)",
            r"\b(need|have) to ask you to stop",
            r"\bthis call will end",
            r"\bput the phone down",
            r"\bwon't stay on the line",
        ),
        "acknowledge": (
            r"\b(went|gone) wrong",
            r"\bcan imagine",
            r"\bupsetting",
            r"\bshouldn't have happened",
            r"\breal problem",
            r"\blet you down",
            r"\bpoor experience",
            r"\bthat's on us",
            r"\byou've been through",
            r"\bnot fair on you",
            r"\bcompletely fair",
        ),
        "end-or-escalate": (
            r"\bi'm (now )?(ending|going to end|closing) (this|the) call",
            r"\bending (this|the) call now",
            r"\bhand(ing)? you over",
            r"\bpassing you to",
            r"\btransferr?(ing)? you to (my|a)\b",
            r"\bputting you through to (my|a)\b",
            r"\b(my|a) team lead",
            r"\bto my (manager|supervisor)",
        ),
    },
}

ORDINARY: dict[str, list[str]] = {
    "greeting": [
        "Good morning, you're through to customer services, my name is Sam.",
        "Thank you for calling, you're speaking with Alex, how can I help?",
        "Hello, billing team, this is Priya speaking.",
        "Good afternoon, thanks for holding, who am I speaking with today?",
        "Hi there, you've reached the broadband support line.",
        "Morning, you're through to deliveries, my name's Tom.",
        "Hello, thanks for your patience, I'm Jo and I'll be looking after you.",
        "Good evening, this is the accounts team, how can I help you tonight?",
        "Hi, you're speaking to Chris in the moving home team.",
        "Hello, welcome to the help desk, I'm Rosa.",
        "Thanks for calling the energy helpline, my name is Dev.",
        "Good morning, it's Hannah here, what can I do for you?",
    ],
    "account": [
        "Could I start with your account number, please?",
        "Can I take the first line of your address?",
        "Could you confirm your date of birth for me?",
        "And the postcode, please?",
        "Can I just check the name on the account?",
        "Is that Mrs or Ms?",
        "What's the best number to reach you on?",
        "Could you spell your surname for me?",
        "And is the email address still the one ending in gmail?",
        "Can you give me the last four digits of the card?",
        "Who is the account holder, is that yourself?",
        "Have you got the reference from the letter?",
        "Do you know roughly when you opened the account?",
        "Are you calling about the landline or the mobile?",
        "Which address was the parcel going to?",
        "Can I check the security word on the account?",
        "Is this the number you're calling from?",
        "And what's the name of the street?",
        "Could you read me the code on the back of the router?",
        "Do you have the order number to hand?",
        "Okay, and the house number?",
        "Is it just the one property on the account?",
        "What date did the payment leave your bank?",
        "Can I ask which plan you're on at the moment?",
        "Is the bill in your name or your partner's?",
    ],
    "numbers": [
        "Your reference number is four, seven, one, nine, two, eight.",
        "That's B for bravo, seven, three, Q for Quebec.",
        "The amount was forty two pounds and sixty pence.",
        "I've got your postcode as S W one, four D Y.",
        "The order number starts with nine, nine, zero, six.",
        "That's zero, seven, seven, double three, five, eight.",
        "Your new account number is one, two, eight, four, four, zero, one.",
        "It was taken on the fourteenth of March at eleven fifteen.",
        "The balance right now is one hundred and six pounds.",
        "I've got the email as jay dot smith at outlook dot com.",
        "Your monthly payment is thirty nine ninety nine.",
        "The case number is C, R, eight, one, five, two.",
        "That's your first bill, dated the second of June.",
        "The tracking number ends in six, six, one, zero.",
        "So that's flat three, twenty two Mill Road.",
        "The meter reading we have is five, eight, four, two, one.",
        "The direct debit goes out on the twenty eighth.",
        "Your contract started on the ninth of September last year.",
        "The engineer's job number is seven, seven, four, A.",
        "I'll read that back, two, one, one, nine, eight, five.",
    ],
    "explain": [
        "The refund usually takes three to five working days to show on your statement.",
        "Your contract renews at the end of the month, so nothing changes until then.",
        "The payment failed because the card we have on file has expired.",
        "Your bill went up because the introductory discount ended in April.",
        "The system sends that letter automatically when a payment is late.",
        "The first bill after a change always covers part of two months.",
        "Your line rental is charged a month in advance.",
        "The parcel is with the courier, and it's showing as out for delivery.",
        "The old tariff was withdrawn in the spring.",
        "Calls to that number aren't included in your bundle.",
        "The router needs to be plugged into the master socket.",
        "The booking system only shows slots two weeks ahead.",
        "That charge is for the paper bill, it's two pounds a month.",
        "Once the form's back, it normally takes about a week to process.",
        "Your usage was higher than usual in December.",
        "The discount only applies to the broadband, not the phone line.",
        "Estimated readings are based on what you used last year.",
        "You pay by credit card at the moment, not by direct debit.",
        "The price rise happens every April, it's in the terms.",
        "That's the standard delivery window, between eight and six.",
        "The app and the website show the same balance.",
        "Roaming charges apply outside the countries on the list.",
        "The speed you get depends on the distance from the cabinet.",
        "A new SIM usually arrives in two working days.",
        "The returns label is inside the original box.",
        "The meter was exchanged in October, so there are two readings.",
        "The minimum term on that plan is eighteen months.",
        "Your statement shows the payment on the day it cleared.",
        "The account was set up with paper billing by default.",
        "Most people find the online account easier for that.",
        "The price includes the hardware, so there's nothing extra to pay.",
        "Your last two payments were both taken on time.",
        "The device is still under the manufacturer's warranty.",
        "Delivery to that area is usually the next working day.",
        "The letter was sent to the old address before you moved.",
        "The call charges are listed on page three of the bill.",
        "There's a small fee for paper copies of old statements.",
        "The standing charge is the same whatever you use.",
        "That's the usual cut-off time for same day dispatch.",
        "The cooling off period is fourteen days from the start date.",
    ],
    "tech": [
        "If you restart the router and wait two minutes, the lights should turn green.",
        "Can you see a light on the front of the box?",
        "Is it the orange light or the red one?",
        "Try unplugging it at the wall for thirty seconds.",
        "Are any other devices connecting to the wifi?",
        "Could you open the settings on your phone for me?",
        "I'm running a test on the line from our side.",
        "The test shows the line is in sync.",
        "Let's try a different cable if you have one.",
        "Is the phone plugged into the filter or straight into the wall?",
        "The warning light on the front should go off in a minute.",
        "Can you hear a dialling tone on the handset?",
        "Can you tell me which lights are flashing right now?",
        "Go into the app and tap on account.",
        "Is the computer connected by cable or by wifi?",
        "Could you press and hold the reset button for ten seconds?",
        "The software update should install by itself overnight.",
        "Can you check the password on the sticker underneath?",
        "The speed test is showing thirty megabits, which is about right.",
        "Could you switch the phone off and on again for me?",
    ],
    "hold": [
        "Bear with me one moment while I check that.",
        "I'm just going to place you on a short hold.",
        "Thanks for holding, I'm back with you.",
        "Thank you for your patience there.",
        "Let me just check that with my supervisor, one moment please.",
        "I'll need a couple of minutes to look into this.",
        "Is it okay if I put you on hold for a minute?",
        "Still there? Great, thanks for waiting.",
        "The system's a bit slow this morning, bear with me.",
        "Just a second while the page loads.",
        "I'm just reading through the notes from last time.",
        "One moment, I'm bringing up the bill now.",
        "Let me have a quick look at the history.",
        "Okay, I'm back, thanks for hanging on.",
        "Two minutes, and I'll be right back with you.",
    ],
    "process": [
        "Let me just bring that up.",
        "Okay, I'm looking at that now.",
        "Right, I'm just typing that in.",
        "I've found the account, thank you.",
        "I can see the order here.",
        "I'm just updating the address on the system.",
        "I've made a note of that.",
        "Okay, that's gone through.",
        "I'll send you a confirmation email once we're done.",
        "You'll get a text when the engineer is on the way.",
        "I'm changing the payment date to the fifteenth.",
        "I've switched the bills over to email.",
        "That's saved on the account now.",
        "I'll book that in for you.",
        "The appointment is showing on my screen now.",
        "I've put the new number on the account.",
        "I'll just add that to the notes.",
        "Right, that's all updated.",
        "Let me see if there are any earlier slots.",
        "I'm just checking the delivery address matches.",
    ],
    "smalltalk": [
        "Lovely weather today, isn't it?",
        "Have you got anything nice planned for the weekend?",
        "Oh, it's been raining here all morning.",
        "Busy day for you too, I expect.",
        "Ha, I know the feeling.",
        "My dog does exactly the same thing.",
        "Oh, that's a nice part of the country.",
        "It's been one of those weeks.",
        "Is that your little one in the background?",
        "I hope the traffic wasn't too bad.",
        "Good luck with the move.",
        "Well, at least it's nearly Friday.",
        "Oh, happy birthday for tomorrow.",
        "It's freezing in the office today.",
        "My mum lives near there as well.",
        "Enjoy the rest of your day.",
        "Take care now, bye bye.",
        "Have a lovely evening.",
        "Cheers, bye for now.",
        "Speak soon, goodbye.",
    ],
    "nearmiss": [
        "Sorry? You broke up a little there.",
        "Sorry, could you say that again?",
        "Sorry, go ahead.",
        "Oh sorry, I talked over you there.",
        "Sorry, the line's a bit crackly.",
        "Thanks, that's the one.",
        "Thank you, I've got that.",
        "Thanks, and the postcode?",
        "Thank you, that all matches.",
        "Thanks for waiting, I've got the account up.",
        "No rush, take your time finding it.",
        "I understand, let me have a look.",
        "I'll transfer you to the moving team, they handle that.",
        "The payment went to the credit card ending in six.",
        "Next Tuesday is the earliest date I can see.",
        "Is there a good time to call you back?",
        "Anything from the last three months will do.",
        "You're welcome.",
        "That should help with the speed.",
        "Let me check with my team what the options are.",
        "Could you confirm the email address for me?",
        "Can I just check the postcode again?",
        "I'll listen to the recording of the last call.",
        "I'll go through the bill line by line with you.",
        "Right, let me see how I can help.",
    ],
    "backchannel": [
        "Mm-hm.",
        "Okay.",
        "Right.",
        "I see.",
        "Sure.",
        "Yes, of course.",
        "Yeah.",
        "Okay, got it.",
    ],
}

_CONTRACTIONS = {
    "i'm": "i am",
    "you're": "you are",
    "we're": "we are",
    "they're": "they are",
    "i'll": "i will",
    "you'll": "you will",
    "we'll": "we will",
    "it'll": "it will",
    "they'll": "they will",
    "i've": "i have",
    "you've": "you have",
    "we've": "we have",
    "i'd": "i would",
    "you'd": "you would",
    "we'd": "we would",
    "it's": "it is",
    "that's": "that is",
    "there's": "there is",
    "here's": "here is",
    "what's": "what is",
    "let's": "let us",
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "isn't": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "can't": "cannot",
    "won't": "will not",
    "shouldn't": "should not",
    "wouldn't": "would not",
    "haven't": "have not",
    "name's": "name is",
    "line's": "line is",
    "form's": "form is",
    "system's": "system is",
}


def norm(text: str) -> str:
    """Lower case words and apostrophes only: the text the patterns are written on."""
    t = text.lower().replace("\u2019", "'").replace("-", " ")
    t = re.sub(r"[^a-z0-9' ]+", " ", t)
    return " ".join(t.split())


def expanded(text: str) -> str:
    """norm(text) with contractions written out (for comparing with phrases)."""
    return " ".join(_CONTRACTIONS.get(w, w) for w in norm(text).split())


def step_id(playbook: str, step: str, index: int) -> str:
    short = "irate" if playbook == IRATE else "abusive"
    return f"{short}.{step}.{index:02d}"


def ordinary_id(category: str, index: int) -> str:
    return f"ord.{category}.{index:02d}"


@cache
def lines() -> dict[str, str]:
    """Every line by id (one dict, shared: do not change it)."""
    out: dict[str, str] = {}
    for pb, steps in STEP_LINES.items():
        for step, texts in steps.items():
            for i, t in enumerate(texts):
                out[step_id(pb, step, i)] = t
    for cat, texts in ORDINARY.items():
        for i, t in enumerate(texts):
            out[ordinary_id(cat, i)] = t
    return out


def truth_of(line: str) -> tuple[str, str] | None:
    """(playbook, step) of a step line's id, None for ordinary talk."""
    head, _, rest = line.partition(".")
    if head == "ord":
        return None
    step = rest.rpartition(".")[0]
    return (IRATE if head == "irate" else ABUSIVE), step


def marked(text: str, playbook: str) -> list[str]:
    """The steps of a playbook whose patterns the text matches."""
    t = norm(text)
    return [s for s, pats in MARKERS[playbook].items() if any(re.search(p, t) for p in pats)]
